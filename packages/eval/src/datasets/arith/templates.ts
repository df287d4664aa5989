/**
 * Word-problem templates of one to three arithmetic steps. Numbers, people, items and wording are
 * drawn at random; ranges keep every intermediate value a small positive integer, so a problem has
 * one exact answer and a small model can still do the arithmetic in its head.
 */
import type { ArithProblem, Calc, Given, Op } from './problem.ts';

export interface Draw {
  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number;
  pick<T>(xs: readonly T[]): T;
}

interface Person {
  name: string;
  he: string;
  his: string;
}

const PEOPLE: readonly Person[] = [
  ['Tom', 'He', 'his'],
  ['Anna', 'She', 'her'],
  ['Liam', 'He', 'his'],
  ['Mia', 'She', 'her'],
  ['Noah', 'He', 'his'],
  ['Emma', 'She', 'her'],
  ['Omar', 'He', 'his'],
  ['Sara', 'She', 'her'],
  ['Ben', 'He', 'his'],
  ['Lucy', 'She', 'her'],
  ['Ravi', 'He', 'his'],
  ['Chloe', 'She', 'her'],
  ['Jack', 'He', 'his'],
  ['Nina', 'She', 'her'],
  ['Leo', 'He', 'his'],
  ['Zoe', 'She', 'her'],
].map(([name, he, his]) => ({ name: name!, he: he!, his: his! }));

const ITEMS: readonly string[] = [
  'apples',
  'pencils',
  'stickers',
  'marbles',
  'books',
  'cookies',
  'cards',
  'shells',
  'stamps',
  'balloons',
  'oranges',
  'crayons',
];
const CONTAINERS: readonly (readonly [string, string])[] = [
  ['boxes', 'box'],
  ['bags', 'bag'],
  ['packs', 'pack'],
  ['baskets', 'basket'],
  ['jars', 'jar'],
];
const FRIEND_WORDS: readonly string[] = ['friends', 'classmates', 'cousins', 'neighbors'];

const lower = (s: string) => s.toLowerCase();

function apply(op: Op, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      if (b === 0 || a % b !== 0) throw new Error(`arith template divides ${a} by ${b}`);
      return a / b;
  }
}

type CalcSpec = readonly [name: string, left: string, op: Op, right: string, says: string];

/** A problem from its givens and steps; the values of the steps are computed here, never typed. */
function problem(template: string, question: string, opening: string, givens: Record<string, number>, steps: readonly CalcSpec[]): ArithProblem {
  const gs: Given[] = Object.entries(givens).map(([name, value]) => ({ name, value }));
  const values = new Map(gs.map((g) => [g.name, g.value]));
  const calcs: Calc[] = steps.map(([name, left, op, right, says]) => {
    const value = apply(op, values.get(left)!, values.get(right)!);
    if (!(value > 0) || !Number.isInteger(value)) throw new Error(`arith template ${template} made ${value}`);
    values.set(name, value);
    return { name, left, op, right, value, says };
  });
  return { template, question, opening, givens: gs, calcs, answer: calcs.at(-1)!.value };
}

export interface Template {
  readonly id: string;
  readonly steps: 1 | 2 | 3;
  make(d: Draw): ArithProblem;
}

export const TEMPLATES: readonly Template[] = [
  {
    id: 'buy-more',
    steps: 1,
    make(d) {
      const p = d.pick(PEOPLE);
      const item = d.pick(ITEMS);
      const start = d.int(3, 60);
      const bought = d.int(2, 40);
      const verb = d.pick(['buys', 'gets', 'finds']);
      return problem(
        'buy-more',
        `${p.name} has ${start} ${item}. ${p.he} ${verb} ${bought} more ${item}. How many ${item} does ${p.name} have now?`,
        `${p.name} starts with ${start} ${item} and ${verb} ${bought} more.`,
        { start, bought },
        [['total', 'start', '+', 'bought', 'So']],
      );
    },
  },
  {
    id: 'give-away',
    steps: 1,
    make(d) {
      const [p, q] = twoPeople(d);
      const item = d.pick(ITEMS);
      const start = d.int(10, 80);
      const given = d.int(2, start - 1);
      return problem(
        'give-away',
        `${p.name} had ${start} ${item}. ${p.he} gave ${given} ${item} to ${q.name}. How many ${item} does ${p.name} have left?`,
        `${p.name} had ${start} ${item} and gave away ${given}.`,
        { start, given },
        [['left', 'start', '-', 'given', 'So']],
      );
    },
  },
  {
    id: 'boxes',
    steps: 1,
    make(d) {
      const p = d.pick(PEOPLE);
      const item = d.pick(ITEMS);
      const [boxes, box] = d.pick(CONTAINERS);
      const count = d.int(2, 12);
      const each = d.int(2, 15);
      return problem(
        'boxes',
        `${p.name} buys ${count} ${boxes} of ${item}. Each ${box} holds ${each} ${item}. How many ${item} does ${p.name} buy?`,
        `There are ${count} ${boxes} with ${each} ${item} in each.`,
        { boxes: count, each },
        [['total', 'boxes', '*', 'each', 'So']],
      );
    },
  },
  {
    id: 'share',
    steps: 1,
    make(d) {
      const p = d.pick(PEOPLE);
      const item = d.pick(ITEMS);
      const friends = d.int(2, 9);
      const total = friends * d.int(2, 12);
      const who = d.pick(FRIEND_WORDS);
      return problem(
        'share',
        `${p.name} shares ${total} ${item} equally among ${friends} ${who}. How many ${item} does each of them get?`,
        `${total} ${item} are shared among ${friends} ${who}.`,
        { total, friends },
        [['each', 'total', '/', 'friends', 'Each gets']],
      );
    },
  },
  {
    id: 'spend',
    steps: 1,
    make(d) {
      const p = d.pick(PEOPLE);
      const item = d.pick(ITEMS);
      const count = d.int(2, 12);
      const price = d.int(2, 15);
      return problem(
        'spend',
        `${p.name} buys ${count} ${item} for $${price} each. How many dollars does ${p.name} spend?`,
        `${p.name} buys ${count} ${item} at $${price} each.`,
        { count, price },
        [['cost', 'count', '*', 'price', 'So']],
      );
    },
  },
  {
    id: 'find-lose',
    steps: 2,
    make(d) {
      const p = d.pick(PEOPLE);
      const item = d.pick(ITEMS);
      const start = d.int(5, 50);
      const found = d.int(2, 30);
      const lost = d.int(1, start + found - 1);
      return problem(
        'find-lose',
        `${p.name} has ${start} ${item}. ${p.he} finds ${found} more and then loses ${lost}. How many ${item} does ${p.name} have now?`,
        `${p.name} starts with ${start} ${item}.`,
        { start, found, lost },
        [
          ['after_finding', 'start', '+', 'found', `After finding ${found} more, ${lower(p.he)} has`],
          ['now', 'after_finding', '-', 'lost', `After losing ${lost}, ${lower(p.he)} has`],
        ],
      );
    },
  },
  {
    id: 'boxes-plus',
    steps: 2,
    make(d) {
      const p = d.pick(PEOPLE);
      const item = d.pick(ITEMS);
      const [boxes] = d.pick(CONTAINERS);
      const start = d.int(2, 30);
      const count = d.int(2, 9);
      const each = d.int(2, 12);
      return problem(
        'boxes-plus',
        `${p.name} has ${start} ${item}. ${p.he} buys ${count} ${boxes} with ${each} ${item} in each. How many ${item} does ${p.name} have in total?`,
        `${p.name} has ${start} ${item} and buys ${count} ${boxes} of ${each}.`,
        { start, boxes: count, each },
        [
          ['bought', 'boxes', '*', 'each', 'The boxes hold'],
          ['total', 'start', '+', 'bought', 'In total,'],
        ],
      );
    },
  },
  {
    id: 'change',
    steps: 2,
    make(d) {
      const p = d.pick(PEOPLE);
      const item = d.pick(ITEMS);
      const count = d.int(2, 8);
      const price = d.int(2, 9);
      const money = count * price + d.int(1, 40);
      return problem(
        'change',
        `${p.name} has $${money}. ${p.he} buys ${count} ${item} that cost $${price} each. How many dollars does ${p.name} have left?`,
        `${p.name} has $${money}.`,
        { money, count, price },
        [
          ['cost', 'count', '*', 'price', `The ${item} cost`],
          ['left', 'money', '-', 'cost', 'So'],
        ],
      );
    },
  },
  {
    id: 'pages',
    steps: 2,
    make(d) {
      const p = d.pick(PEOPLE);
      const morning = d.int(2, 20);
      const evening = d.int(2, 20);
      const days = d.int(2, 9);
      return problem(
        'pages',
        `${p.name} reads ${morning} pages in the morning and ${evening} pages in the evening every day. How many pages does ${p.name} read in ${days} days?`,
        `${p.name} reads ${morning} and ${evening} pages a day.`,
        { morning, evening, days },
        [
          ['per_day', 'morning', '+', 'evening', 'Each day,'],
          ['total', 'per_day', '*', 'days', `In ${days} days,`],
        ],
      );
    },
  },
  {
    id: 'share-plus',
    steps: 2,
    make(d) {
      const p = d.pick(PEOPLE);
      const item = d.pick(ITEMS);
      const [boxes, box] = d.pick(CONTAINERS);
      const count = d.int(2, 8);
      const total = count * d.int(2, 12);
      const extra = d.int(1, 15);
      return problem(
        'share-plus',
        `${p.name} puts ${total} ${item} equally into ${count} ${boxes}. Then ${lower(p.he)} adds ${extra} more ${item} to one ${box}. How many ${item} are in that ${box} now?`,
        `${total} ${item} go into ${count} ${boxes}.`,
        { total, boxes: count, extra },
        [
          ['each', 'total', '/', 'boxes', `Each ${box} gets`],
          ['now', 'each', '+', 'extra', `With ${extra} more`],
        ],
      );
    },
  },
  {
    id: 'two-prices',
    steps: 3,
    make(d) {
      const p = d.pick(PEOPLE);
      const [item, other] = twoItems(d);
      const price = d.int(2, 9);
      const otherPrice = d.int(2, 9);
      const count = d.int(2, 9);
      const otherCount = d.int(2, 9);
      return problem(
        'two-prices',
        `A shop sells ${item} for $${price} each and ${other} for $${otherPrice} each. ${p.name} buys ${count} ${item} and ${otherCount} ${other}. How many dollars does ${p.name} spend?`,
        `${p.name} buys ${count} ${item} and ${otherCount} ${other}.`,
        { price, other_price: otherPrice, count, other_count: otherCount },
        [
          ['first', 'count', '*', 'price', `The ${item} cost`],
          ['second', 'other_count', '*', 'other_price', `The ${other} cost`],
          ['total', 'first', '+', 'second', 'In total,'],
        ],
      );
    },
  },
  {
    id: 'pick-sell',
    steps: 3,
    make(d) {
      const p = d.pick(PEOPLE);
      const item = d.pick(['apples', 'oranges', 'berries', 'flowers', 'shells']);
      const monday = d.int(5, 40);
      const tuesday = d.int(5, 40);
      const eaten = d.int(1, monday + tuesday - 1);
      const price = d.int(2, 6);
      return problem(
        'pick-sell',
        `${p.name} picks ${monday} ${item} on Monday and ${tuesday} on Tuesday. ${p.he} keeps ${eaten} of them and sells the rest for $${price} each. How many dollars does ${p.name} make?`,
        `${p.name} picks ${monday} and ${tuesday} ${item}.`,
        { monday, tuesday, kept: eaten, price },
        [
          ['picked', 'monday', '+', 'tuesday', 'In all,'],
          ['sold', 'picked', '-', 'kept', `${p.he} sells`],
          ['money', 'sold', '*', 'price', `${p.he} makes`],
        ],
      );
    },
  },
  {
    id: 'pack-bags',
    steps: 3,
    make(d) {
      const p = d.pick(PEOPLE);
      const item = d.pick(ITEMS);
      const [bags] = d.pick(CONTAINERS);
      const size = d.int(2, 9);
      const filled = d.int(2, 9);
      const given = d.int(1, 20);
      const bought = d.int(2, Math.min(30, size * filled + given - 1));
      const start = size * filled - bought + given;
      return problem(
        'pack-bags',
        `${p.name} has ${start} ${item}. ${p.he} buys ${bought} more and gives ${given} away. ${p.he} packs the rest into ${bags} of ${size}. How many ${bags} does ${p.name} fill?`,
        `${p.name} has ${start} ${item}.`,
        { start, bought, given, size },
        [
          ['after_buying', 'start', '+', 'bought', `After buying, ${lower(p.he)} has`],
          ['rest', 'after_buying', '-', 'given', `After giving some away, ${lower(p.he)} has`],
          ['bags', 'rest', '/', 'size', `${p.he} fills`],
        ],
      );
    },
  },
];

function twoPeople(d: Draw): [Person, Person] {
  const p = d.pick(PEOPLE);
  let q = d.pick(PEOPLE);
  while (q === p) q = d.pick(PEOPLE);
  return [p, q];
}

function twoItems(d: Draw): [string, string] {
  const a = d.pick(ITEMS);
  let b = d.pick(ITEMS);
  while (b === a) b = d.pick(ITEMS);
  return [a, b];
}
