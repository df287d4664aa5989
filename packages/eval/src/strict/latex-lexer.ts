/**
 * Tokens of LaTeX as latex2sympy2_extended's lexer (PS.g4) makes them, for the strict reading.
 * Where its lexer differs from sympy's: numbers have no thousands commas (1,000 is 1 , 000, a set
 * unless the whole answer is one grouped number), a percent sign belongs to its number, \text{...}
 * and other accents are one symbol named by their content, 'e' is Euler's number and 'E' a symbol,
 * every symbol is lower-cased, and a command the grammar does not know is a lexer error (the parse
 * fails rather than reading \cdots as a symbol).
 */
import type { Tok } from '../grader/latex-parse.ts';

/** Commands the lexer skips: spacing, \$ and the TeX box primitives (the IGNORE rule). */
const SKIPPED = new Set([
  '\\,',
  '\\:',
  '\\;',
  '\\!',
  '\\thinspace',
  '\\medspace',
  '\\thickspace',
  '\\quad',
  '\\qquad',
  '\\negthinspace',
  '\\negmedspace',
  '\\negthickspace',
  '\\$',
  '\\vrule',
  '\\vcenter',
  '\\vbox',
  '\\vskip',
  '\\vspace',
  '\\hfil',
  '\\left',
  '\\right',
  '\\displaystyle',
]);

/** Commands with a meaning in the grammar, kept as 'cmd' tokens (spelling variants folded). */
const COMMANDS: Record<string, string> = {
  '\\frac': '\\frac',
  '\\dfrac': '\\frac',
  '\\tfrac': '\\frac',
  '\\cfrac': '\\frac',
  '\\over': '/',
  '\\binom': '\\binom',
  '\\dbinom': '\\binom',
  '\\tbinom': '\\binom',
  '\\sqrt': '\\sqrt',
  '\\times': '\\times',
  '\\cdot': '\\cdot',
  '\\div': '\\div',
  '\\mod': '\\mod',
  '\\pm': '\\pm',
  '\\mp': '\\pm',
  '\\cup': '\\cup',
  '\\cap': '\\cap',
  '\\setminus': '\\setminus',
  '\\in': '\\in',
  '\\notin': '\\notin',
  '\\subseteq': '\\subseteq',
  '\\supseteq': '\\supseteq',
  '\\emptyset': '\\emptyset',
  '\\le': '<=',
  '\\leq': '<=',
  '\\leqslant': '<=',
  '\\leqq': '<=',
  '\\ge': '>=',
  '\\geq': '>=',
  '\\geqslant': '>=',
  '\\geqq': '>=',
  '\\lt': '<',
  '\\gt': '>',
  '\\ne': '!=',
  '\\neq': '!=',
  '\\approx': '\\approx',
  '\\equiv': '=',
  '\\infty': '\\infty',
  '\\partial': '\\partial',
  '\\circ': '\\circ',
  '\\degree': '\\circ',
  '\\circle': '\\circ',
  '\\lfloor': '\\lfloor',
  '\\rfloor': '\\rfloor',
  '\\lceil': '\\lceil',
  '\\rceil': '\\rceil',
  '\\lvert': '|',
  '\\rvert': '|',
  '\\vert': '|',
  '\\lbrace': '\\{',
  '\\rbrace': '\\}',
  '\\lbrack': '[',
  '\\rbrack': ']',
  '\\lgroup': '(',
  '\\rgroup': ')',
  '\\boxed': '\\boxed',
  '\\phantom': '\\phantom',
  '\\operatorname': '\\operatorname',
  '\\begin': '\\begin',
  '\\end': '\\end',
  '\\sum': '\\sum',
  '\\prod': '\\prod',
  '\\int': '\\int',
  '\\lim': '\\lim',
  '\\to': '\\to',
  '\\rightarrow': '\\to',
  '\\sin': '\\sin',
  '\\cos': '\\cos',
  '\\tan': '\\tan',
  '\\cot': '\\cot',
  '\\sec': '\\sec',
  '\\csc': '\\csc',
  '\\arcsin': '\\arcsin',
  '\\arccos': '\\arccos',
  '\\arctan': '\\arctan',
  '\\arccot': '\\arccot',
  '\\arcsec': '\\arcsec',
  '\\arccsc': '\\arccsc',
  '\\sinh': '\\sinh',
  '\\cosh': '\\cosh',
  '\\tanh': '\\tanh',
  '\\arsinh': '\\arsinh',
  '\\arcosh': '\\arcosh',
  '\\artanh': '\\artanh',
  '\\arcsinh': '\\arsinh',
  '\\arccosh': '\\arcosh',
  '\\arctanh': '\\artanh',
  '\\log': '\\log',
  '\\ln': '\\ln',
  '\\exp': '\\exp',
  '\\max': '\\max',
  '\\min': '\\min',
  '\\gcd': '\\gcd',
  '\\lcm': '\\lcm',
  '\\floor': '\\floor',
  '\\ceil': '\\ceil',
};

const GREEK = new Set([
  'alpha',
  'beta',
  'gamma',
  'Gamma',
  'delta',
  'Delta',
  'epsilon',
  'varepsilon',
  'zeta',
  'eta',
  'theta',
  'Theta',
  'vartheta',
  'iota',
  'kappa',
  'lambda',
  'Lambda',
  'mu',
  'nu',
  'xi',
  'Xi',
  'omicron',
  'pi',
  'Pi',
  'varpi',
  'rho',
  'varrho',
  'sigma',
  'Sigma',
  'varsigma',
  'tau',
  'upsilon',
  'Upsilon',
  'phi',
  'Phi',
  'varphi',
  'chi',
  'psi',
  'Psi',
  'omega',
  'Omega',
]);
/** OTHER_SYMBOL in the grammar: symbols named by the command. */
const OTHER_SYMBOLS = new Set([
  'Bbbk',
  'wp',
  'nabla',
  'bigstar',
  'angle',
  'nexists',
  'eth',
  'varnothing',
  'Diamond',
  'complement',
  'imath',
  'jmath',
  'ell',
  'hbar',
  'hslash',
  'triangle',
  'square',
  'blacksquare',
  'sharp',
  'flat',
  'natural',
  'prime',
  'backprime',
  'Im',
  'Re',
  'mho',
  'surd',
  'clubsuit',
  'heartsuit',
  'spadesuit',
  'diamondsuit',
]);

/** Accents whose argument becomes the symbol's name (ACCENT in the grammar). */
const ACCENTS =
  /^\\(acute|bar|overline|breve|check|widecheck|dot|ddot|grave|hat|tilde|widetilde|vec|overrightarrow|bm|boldsymbol|text|textit|textbf|textnormal|mathbb|mathbin|mathbf|mathcal|mathclap|mathclose|mathellipsis|mathfrak|mathinner|mathit|mathnormal|mathop|mathopen|mathord|mathpunct|mathrel|mathring|mathrlap|mathrm|mathscr|mathsf|mathsterling|mathtt|mbox)[ \t\r\n]?\{((?:\\\}|[^}])*?)\}/;

const NUMBER_SETS: Record<string, string> = { N: 'N', Z: 'Z', Q: 'Q', R: 'R', C: 'C', P: 'P' };

/** The symbol name convert_atom_expr gives an accent: \text{...} is its content, \bar{x} is bar{x}. */
function accentName(cmd: string, body: string): string {
  let text = body.replace(/ /g, '');
  let name = cmd;
  if (cmd === 'bar' || cmd === 'overline') name = 'bar';
  else if (cmd === 'vec' || cmd === 'overrightarrow') name = 'vec';
  else if (cmd === 'tilde' || cmd === 'widetilde') name = 'tilde';
  else if (cmd.includes('text') || cmd.includes('mbox')) {
    // text is ignored so that $C$ equals $\text{C}$
    name = '';
    text = text.replace(/[()]/g, '');
  } else if (cmd.includes('math')) name = 'math';
  return (name ? `${name}{${text}}` : text).toLowerCase();
}

const UNICODE_OPS: Record<string, string> = {
  '×': '\\times',
  '⋅': '\\cdot',
  '∙': '\\cdot',
  '÷': '\\div',
  '−': '-',
  '≤': '<=',
  '≥': '>=',
  '≠': '!=',
  '≈': '\\approx',
  '∪': '\\cup',
  '∩': '\\cap',
  '∈': '\\in',
  '∉': '\\notin',
  '±': '\\pm',
  '∓': '\\pm',
  '∅': '\\emptyset',
};

function isKnown(cmd: string): boolean {
  const name = cmd.slice(1);
  return SKIPPED.has(cmd) || COMMANDS[cmd] !== undefined || GREEK.has(name) || OTHER_SYMBOLS.has(name);
}

export function tokenizeStrict(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  const err = (): Tok[] => {
    out.push({ t: 'err', v: s.slice(i) });
    return out;
  };
  while (i < s.length) {
    const c = s[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const rest = s.slice(i);
    if (c === '\\') {
      const sets = /^\\mathbb\{([NZQRCP])\}/.exec(rest);
      if (sets) {
        out.push({ t: 'cmd', v: `\\mathbb{${NUMBER_SETS[sets[1]!]}}` });
        i += sets[0].length;
        continue;
      }
      const accent = ACCENTS.exec(rest);
      if (accent) {
        out.push({ t: 'name', v: accentName(accent[1]!, accent[2]!) });
        i += accent[0].length;
        continue;
      }
      const m = /^\\([a-zA-Z]+|.)/s.exec(rest);
      if (!m) return err();
      // the lexer takes the longest command it knows: \quadx is \quad then x
      let cmd = m[0];
      while (cmd.length > 2 && /^\\[a-zA-Z]+$/.test(cmd) && !isKnown(cmd)) cmd = cmd.slice(0, -1);
      if (!isKnown(cmd)) cmd = m[0];
      i += cmd.length;
      if (SKIPPED.has(cmd)) continue;
      if (cmd === '\\{' || cmd === '\\}' || cmd === '\\\\' || cmd === '\\(' || cmd === '\\)') {
        out.push({ t: 'op', v: cmd });
        continue;
      }
      if (cmd === '\\|') {
        out.push({ t: 'op', v: '|' });
        continue;
      }
      const name = cmd.slice(1);
      if (GREEK.has(name) || OTHER_SYMBOLS.has(name)) {
        // get_symbol lower-cases the name; \pi stays the symbol "pi" (it is not sympy's pi there)
        out.push({ t: 'name', v: name.toLowerCase() });
        continue;
      }
      const known = COMMANDS[cmd];
      if (known === undefined) {
        i -= cmd.length;
        return err();
      }
      out.push(known.startsWith('\\') ? { t: 'cmd', v: known } : { t: 'op', v: known });
      continue;
    }
    // NUMBER: DIGIT+ | DIGIT* '.' DIGIT+, then E notation or a percent sign
    const numMatch = /^(?:[0-9]*\.[0-9]+|[0-9]+)/.exec(rest);
    if (numMatch) {
      let text = numMatch[0];
      let len = text.length;
      const e = /^E[+-]?[0-9]+/.exec(rest.slice(len));
      if (e) {
        text += e[0].replace('E', 'e');
        len += e[0].length;
      }
      const pct = /^[ \t\r\n]?(?:\\%|%)/.exec(rest.slice(len));
      if (pct) len += pct[0].length;
      out.push({ t: 'num', v: text, ...(pct ? { pct: true } : {}) });
      i += len;
      continue;
    }
    if (/[a-zA-Z]/.test(c)) {
      // 'd' followed by a letter (spaces allowed) is one differential token: dx
      const diff = c === 'd' ? /^d[ \t\r\n]*?([a-zA-Z]|\\[a-zA-Z]+)/.exec(rest) : null;
      if (diff && !(diff[1]!.startsWith('\\') && !GREEK.has(diff[1]!.slice(1)))) {
        out.push({ t: 'name', v: `d${diff[1]!.replace('\\', '')}`.toLowerCase() });
        i += diff[0].length;
        continue;
      }
      out.push({ t: 'letter', v: c });
      i++;
      continue;
    }
    const two = rest.slice(0, 2);
    if (two === '<=' || two === '>=' || two === '!=' || two === '==' || two === '~=') {
      out.push({ t: 'op', v: two === '==' ? '=' : two === '~=' ? '\\approx' : two });
      i += 2;
      continue;
    }
    if (UNICODE_OPS[c]) {
      const v = UNICODE_OPS[c]!;
      out.push(v.startsWith('\\') ? { t: 'cmd', v } : { t: 'op', v });
      i++;
      continue;
    }
    if (c === 'π') {
      out.push({ t: 'name', v: 'pi' });
      i++;
      continue;
    }
    if ('+-*/^_<>()[]{}|!,.:;=&'.includes(c)) {
      out.push({ t: 'op', v: c });
      i++;
      continue;
    }
    if (c === "'") {
      out.push({ t: 'op', v: "'" });
      i++;
      continue;
    }
    return err();
  }
  return out;
}
