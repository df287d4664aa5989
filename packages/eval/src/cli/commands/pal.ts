import { makeRunCommand } from '../run-command.ts';

export default makeRunCommand('pal', 'program-aided evaluation: the model writes solution(), the sandbox evaluates it');
