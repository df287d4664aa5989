import { makeRunCommand } from '../run-command.ts';

export default makeRunCommand('tora', 'tool-integrated evaluation: the model writes Python, the sandbox runs it, the output is fed back');
