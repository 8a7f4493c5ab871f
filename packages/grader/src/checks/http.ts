import { type CheckResult, fail, pass } from '../result.js';

export interface HttpCheckInput {
  port?: number;
  published?: string;
  path?: string;
  expect: { status?: number; body?: string };
}

const TIMEOUT_MS = 3000;
const BODY_LIMIT = 256 * 1024;

/** Requests a port of the box at its address on the host bridge (the only ingress a box accepts). */
export async function checkHttp(address: string | undefined, check: HttpCheckInput): Promise<CheckResult> {
  if (check.port === undefined) {
    return fail('This check needs a box port.', '这个检查需要指定实验环境的端口。');
  }
  if (address === undefined) return fail('The box has no network address.', '实验环境没有网络地址。');
  const url = `http://${address.includes(':') ? `[${address}]` : address}:${check.port}${check.path ?? '/'}`;
  let status: number;
  let body: string;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'manual' });
    status = response.status;
    body = (await response.text()).slice(0, BODY_LIMIT);
  } catch (error) {
    const reason =
      (error as Error).cause instanceof Error
        ? ((error as Error).cause as Error).message
        : (error as Error).message;
    return fail(
      `Nothing answers on port ${check.port} (${reason}).`,
      `端口 ${check.port} 上没有服务响应（${reason}）。`,
    );
  }
  const en: string[] = [];
  const zh: string[] = [];
  if (check.expect.status !== undefined && status !== check.expect.status) {
    en.push(`the status is ${status}, not ${check.expect.status}`);
    zh.push(`状态码是 ${status}，不是 ${check.expect.status}`);
  }
  if (check.expect.body !== undefined && !new RegExp(check.expect.body).test(body)) {
    en.push(`the body does not match /${check.expect.body}/`);
    zh.push(`响应内容不匹配 /${check.expect.body}/`);
  }
  if (en.length === 0)
    return pass(
      `Port ${check.port} answers as asked (${status}).`,
      `端口 ${check.port} 的响应符合要求（${status}）。`,
    );
  return fail(
    `Port ${check.port} answers, but ${en.join('; ')}.`,
    `端口 ${check.port} 有响应，但${zh.join('；')}。`,
    { status },
  );
}
