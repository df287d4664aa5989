import { makeRunCommand } from '../run-command.ts';

export default makeRunCommand('cot', 'few-shot chain-of-thought evaluation of a checkpoint or server');
