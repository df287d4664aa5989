/**
 * One generated word problem and the texts made from it: the GSM8K reference answer, the
 * chain-of-thought solution, the tool-integrated (python) solution and the program-aided one.
 * A problem is a list of given quantities and a list of computed ones; every text is rendered
 * from the same list, so the four forms can never disagree on a number.
 */

export type Op = '+' | '-' | '*' | '/';

export interface Given {
  readonly name: string;
  readonly value: number;
}

export interface Calc {
  readonly name: string;
  readonly left: string;
  readonly op: Op;
  readonly right: string;
  readonly value: number;
  /** The sentence in front of the arithmetic ("Together they have"). */
  readonly says: string;
}

export interface ArithProblem {
  readonly question: string;
  /** The opening sentence of the reasoning, restating what is given. */
  readonly opening: string;
  readonly givens: readonly Given[];
  readonly calcs: readonly Calc[];
  readonly answer: number;
  /** Template id, for reports on which kinds a model gets right. */
  readonly template: string;
}

const SYMBOL: Readonly<Record<Op, string>> = { '+': '+', '-': '-', '*': '*', '/': '/' };
const PYTHON: Readonly<Record<Op, string>> = { '+': '+', '-': '-', '*': '*', '/': '//' };

function valueNamed(p: Pick<ArithProblem, 'givens' | 'calcs'>, name: string): number {
  const g = p.givens.find((x) => x.name === name) ?? p.calcs.find((x) => x.name === name);
  if (!g) throw new Error(`arith template refers to unknown quantity ${name}`);
  return g.value;
}

/** Each step as "a op b = c", the numbers filled in. */
function stepArithmetic(p: ArithProblem, c: Calc): { expr: string; value: number } {
  return { expr: `${valueNamed(p, c.left)} ${SYMBOL[c.op]} ${valueNamed(p, c.right)}`, value: c.value };
}

/** The reference answer in GSM8K's form: steps with <<calculator>> annotations, then "#### N". */
export function gsm8kAnswer(p: ArithProblem): string {
  const lines = p.calcs.map((c) => {
    const { expr, value } = stepArithmetic(p, c);
    return `${c.says} ${expr} = <<${expr.replaceAll(' ', '')}=${value}>>${value}`;
  });
  return `${lines.join('\n')}\n#### ${p.answer}`;
}

/** The chain-of-thought answer as the few-shot demos write it: "… 3 + 2 = 5. The answer is 5." */
export function cotSolution(p: ArithProblem): string {
  const steps = p.calcs.map((c) => {
    const { expr, value } = stepArithmetic(p, c);
    return `${c.says} ${expr} = ${value}.`;
  });
  return `${p.opening} ${steps.join(' ')} The answer is ${p.answer}.`;
}

/** The program: one assignment per given, one per step, then the answer printed. */
export function program(p: ArithProblem): string {
  const lines = [
    ...p.givens.map((g) => `${g.name} = ${g.value}`),
    ...p.calcs.map((c) => `${c.name} = ${c.left} ${PYTHON[c.op]} ${c.right}`),
    `print(${p.calcs.at(-1)!.name})`,
  ];
  return `${lines.join('\n')}\n`;
}

/** "Question: …\nAnswer: …", the form of a cot demo and of a cot completion after its prompt. */
export function cotText(p: ArithProblem): string {
  return `Question: ${p.question}\nAnswer: ${cotSolution(p)}`;
}

/**
 * The tool-integrated form as the evaluation loop produces it: the chat prompt, a program that
 * stops at its closing fence, the sandbox's output as the loop appends it, the boxed answer.
 */
export function toraText(p: ArithProblem): string {
  return `${toraPrompt(p.question)}\`\`\`python\n${program(p)}\`\`\`\n\`\`\`output\n${p.answer}\n\`\`\`\nThe answer is $\\boxed{${p.answer}}$.`;
}

/** The chat form the harness uses for tora prompts (prompts/construct.ts). */
export function toraPrompt(question: string): string {
  return `<|user|>\n${question}\n<|assistant|>\n`;
}

/** The program-aided form of the harness's pal demos: a solution() returning the answer. */
export function palText(p: ArithProblem): string {
  const body = program(p)
    .trimEnd()
    .split('\n')
    .slice(0, -1)
    .map((l) => `    ${l}`);
  const last = p.calcs.at(-1)!.name;
  return [
    `Question: ${p.question}`,
    '',
    '```python',
    'def solution():',
    `    """${p.question}"""`,
    ...body,
    `    result = ${last}`,
    '    return result',
    '```',
  ].join('\n');
}
