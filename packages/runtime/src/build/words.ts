/**
 * Docker's variable substitution for the instructions it expands (FROM, COPY, ADD, ENV, ARG, LABEL, WORKDIR, USER,
 * EXPOSE, VOLUME, STOPSIGNAL): $VAR, ${VAR}, ${VAR:-word}, ${VAR-word}, ${VAR:+word}, ${VAR+word}, with shell-like
 * quoting (single quotes are literal, double quotes expand) and the Dockerfile's escapeChar character.
 */
export type Vars = ReadonlyMap<string, string>;

export class SubstitutionError extends Error {}

export function processWord(word: string, vars: Vars, escapeChar = '\\'): string {
  const lex = new Lexer(word, vars, escapeChar);
  return lex.run();
}

class Lexer {
  private i = 0;
  constructor(
    private readonly s: string,
    private readonly vars: Vars,
    private readonly escapeChar: string,
  ) {}

  run(): string {
    let out = '';
    while (this.i < this.s.length) {
      const ch = this.s[this.i] as string;
      if (ch === this.escapeChar) {
        this.i++;
        if (this.i < this.s.length) out += this.s[this.i++];
        else out += ch;
      } else if (ch === "'") {
        const end = this.s.indexOf("'", this.i + 1);
        if (end < 0)
          throw new SubstitutionError(`unexpected end of statement while looking for matching single-quote`);
        out += this.s.slice(this.i + 1, end);
        this.i = end + 1;
      } else if (ch === '"') {
        out += this.doubleQuoted();
      } else if (ch === '$') {
        out += this.dollar();
      } else {
        out += ch;
        this.i++;
      }
    }
    return out;
  }

  private doubleQuoted(): string {
    let out = '';
    this.i++;
    while (this.i < this.s.length) {
      const ch = this.s[this.i] as string;
      if (ch === '"') {
        this.i++;
        return out;
      }
      if (ch === '$') {
        out += this.dollar();
      } else if (ch === this.escapeChar) {
        const next = this.s[this.i + 1];
        if (next === '"' || next === '$' || next === this.escapeChar) {
          out += next;
          this.i += 2;
        } else {
          out += ch;
          this.i++;
        }
      } else {
        out += ch;
        this.i++;
      }
    }
    throw new SubstitutionError('unexpected end of statement while looking for matching double-quote');
  }

  private dollar(): string {
    this.i++;
    const ch = this.s[this.i];
    if (ch === '{') {
      this.i++;
      const name = this.name();
      if (!name) throw new SubstitutionError(`bad substitution: ${this.s}`);
      const c = this.s[this.i];
      if (c === '}') {
        this.i++;
        return this.vars.get(name) ?? '';
      }
      let colon = false;
      if (c === ':') {
        colon = true;
        this.i++;
      }
      const op = this.s[this.i];
      if (op !== '-' && op !== '+' && op !== '?')
        throw new SubstitutionError(`unsupported modifier (${op}) in substitution: ${this.s}`);
      this.i++;
      const word = this.until('}');
      const value = this.vars.get(name);
      const set = value !== undefined && (!colon || value !== '');
      if (op === '-') return set ? (value as string) : word;
      if (op === '+') return set ? word : '';
      if (!set) throw new SubstitutionError(`${name}: ${word || 'is not allowed to be unset'}`);
      return value as string;
    }
    const name = this.name();
    if (!name) return '$';
    return this.vars.get(name) ?? '';
  }

  private name(): string {
    const m = /^[A-Za-z_][A-Za-z0-9_]*|^[0-9]/.exec(this.s.slice(this.i));
    if (!m) return '';
    this.i += m[0].length;
    return m[0];
  }

  /** The word of a ${name:-word} modifier, itself expanded, up to the closing brace. */
  private until(close: string): string {
    let out = '';
    while (this.i < this.s.length) {
      const ch = this.s[this.i] as string;
      if (ch === close) {
        this.i++;
        return out;
      }
      if (ch === '$') out += this.dollar();
      else if (ch === this.escapeChar && this.i + 1 < this.s.length) {
        out += this.s[this.i + 1];
        this.i += 2;
      } else {
        out += ch;
        this.i++;
      }
    }
    throw new SubstitutionError(`syntax error: missing '}' in ${this.s}`);
  }
}
