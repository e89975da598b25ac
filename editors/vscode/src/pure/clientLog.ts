// What the language client writes to its output channel, turned into lines for our log channel
// (a LogOutputChannel, which stamps every line with its own time and level). No `vscode` here.
//
// The client writes three kinds of text there:
// - its own messages, as `[Info  - 10:13:09 PM] text`: a second timestamp beside the channel's
//   (#21 item 25, "doubled timestamps");
// - the sidecar's stderr, in chunks that may cut a line anywhere: tracing's `LEVEL text` (no
//   time in `lsp` mode, crates/cli/src/main.rs);
// - after "Connection to server got closed. Server will restart.", a bare `true`:
//   vscode-languageclient passes the error handler's `!handled` as that message's data
//   (lib/common/client.js: `this.info(message, !handlerResult.handled)`) and prints it on a line
//   of its own (#21 item 25, "a stray `true` line").

export type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export interface LogLine {
  level: Level;
  text: string;
}

const CLIENT_MESSAGE = /^\[(Trace|Debug|Info|Warn|Error)\s*- [^\]]*\] ?(.*)$/;
const SIDECAR_LINE = /^\s*(TRACE|DEBUG|INFO|WARN|ERROR)\s+(.*)$/;

export class ClientLog {
  private partial = '';
  private afterClientMessage = false;

  /** Text the client appended (a stderr chunk, or a message with its newline): its complete lines. */
  append(text: string): LogLine[] {
    const parts = (this.partial + text).split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    return parts.flatMap((line) => this.line(line));
  }

  appendLine(text: string): LogLine[] {
    return this.append(`${text}\n`);
  }

  /** What is left of a cut line (when the channel is closed). */
  flush(): LogLine[] {
    const rest = this.partial;
    this.partial = '';
    return rest ? this.line(rest) : [];
  }

  private line(line: string): LogLine[] {
    const afterClientMessage = this.afterClientMessage;
    this.afterClientMessage = false;
    if (!line.trim()) return [];
    const client = CLIENT_MESSAGE.exec(line);
    if (client) {
      this.afterClientMessage = true;
      return [{ level: client[1].toLowerCase() as Level, text: client[2] }];
    }
    if (afterClientMessage && (line === 'true' || line === 'false')) return [];
    const sidecar = SIDECAR_LINE.exec(line);
    if (sidecar) return [{ level: sidecar[1].toLowerCase() as Level, text: sidecar[2] }];
    return [{ level: 'info', text: line }];
  }
}
