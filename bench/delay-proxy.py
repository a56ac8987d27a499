#!/usr/bin/env python3
"""A TCP proxy that delays every chunk by a fixed time in each direction, to show what round trips cost.

delay-proxy.py LISTEN_PORT TARGET_PORT DELAY_MS   (loopback only; prints "ready" once listening)
"""
import asyncio, sys

listen_port, target_port, delay = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) / 1000

async def pipe(reader, writer):
    """Forwards chunks in order, each `delay` after it arrived (a fixed one-way latency, bandwidth unchanged)."""
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def receive():
        while True:
            data = await reader.read(65536)
            await queue.put((loop.time() + delay, data))
            if not data:
                return

    receiving = asyncio.create_task(receive())
    while True:
        due, data = await queue.get()
        wait = due - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        if not data:
            break
        writer.write(data)
        await writer.drain()
    writer.close()
    await receiving

async def handle(client_reader, client_writer):
    server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target_port)
    await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer), return_exceptions=True)

async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", listen_port)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()

asyncio.run(main())
