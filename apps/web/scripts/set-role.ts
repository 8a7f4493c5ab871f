// Usage: npm run set-role -w apps/web -- <email> <student|instructor|admin>   (database from $DATABASE_URL)
import { getDb } from '@dockyard/db';
import { z } from 'zod';

const args = z
  .tuple([z.email(), z.enum(['student', 'instructor', 'admin'])])
  .safeParse(process.argv.slice(2));
if (!args.success) {
  console.error('usage: set-role <email> <student|instructor|admin>');
  process.exit(2);
}
const [email, role] = args.data;
const db = getDb();
const updated = await db.user.updateMany({ where: { email: email.toLowerCase() }, data: { role } });
await db.$disconnect();
if (updated.count === 0) {
  console.error(`no account with email ${email}`);
  process.exit(1);
}
console.log(`${email} is now ${role}`);
