import type { Socket } from 'node:net';

/**
 * Closes an answered connection whose request body is still arriving without a TCP reset. Node
 * closes a `Connection: close` socket as soon as the answer is written; a kernel that closes a
 * socket with unread bytes in it sends RST, and the client's kernel then drops the 413 it had not
 * read yet. So: send FIN after the answer, keep reading (and discarding) what the client still
 * sends, and close when it hangs up or after `ms` at the latest (lingering close, as nginx does).
 */
export function lingerAfterAnswer(socket: Socket, ms = 2000): void {
  const destroy = socket.destroy.bind(socket);
  let lingering = false;
  socket.destroySoon = () => {
    if (lingering) return;
    lingering = true;
    socket.end();
    socket.resume();
    const timer = setTimeout(() => destroy(), ms);
    timer.unref();
    socket.once('end', () => destroy());
    socket.once('close', () => clearTimeout(timer));
  };
}
