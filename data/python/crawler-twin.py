#!/usr/bin/env python3
"""crawler: a Pool fetches pages from a local HTTP server; a callback parses
them in the main process.

Split slow waiting from quick work. Fetching a page is mostly waiting for the
network, so several pool workers wait at once; parsing is quick, so it runs in
the main process, in the callback apply_async calls with each result. The pids
show it. A fetch that fails (a link to a page the site does not have) raises
in the worker; the exception comes back and error_callback runs instead.
The site is local: HTTP server processes on 127.0.0.1 share one listening
socket and answer after a simulated delay, so the crawl needs no internet.

Try:  python3 crawler-twin.py
      python3 crawler-twin.py --workers 1      (the delays add up)
"""
import argparse
import http.server
import json
import multiprocessing as mp
import os
import random
import re
import socket
import threading
import time
import urllib.error
import urllib.request

START = time.monotonic()

# The site: a few pages about this course, linking to each other; one link
# (zombies.html) leads to a page the site does not have.
SITE = {
    "/index.html": ("Notes on processes", ["/processes.html", "/pipes.html", "/queues.html", "/pools.html"]),
    "/processes.html": ("Processes", ["/index.html", "/locks.html", "/zombies.html"]),
    "/pipes.html": ("Pipes", ["/index.html", "/queues.html"]),
    "/queues.html": ("Queues", ["/pipes.html"]),
    "/pools.html": ("Pools", ["/index.html", "/locks.html"]),
    "/locks.html": ("Locks", ["/processes.html"]),
}


def say(text):
    name = mp.current_process().name
    print(f"+{time.monotonic() - START:.3f} {os.getpid():>7} {name:<14} {text}", flush=True)


def page_html(path):
    title, links = SITE[path]
    anchors = "".join(f'<li><a href="{link}">{link}</a></li>' for link in links)
    return f"<html><head><title>{title}</title></head><body><h1>{title}</h1><ul>{anchors}</ul></body></html>"


def serve(listener, latency):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            delay = random.uniform(0.5, 1.5) * latency  # a slow network, simulated
            time.sleep(delay)
            body = page_html(self.path).encode() if self.path in SITE else b"not found"
            self.send_response(200 if self.path in SITE else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            say(f"answered GET {self.path} with {200 if self.path in SITE else 404} after {delay:.2f} s")

        def log_message(self, *args):  # our own line above says it
            pass

    # Every server process accepts on the same inherited socket: the kernel hands each connection to one of them.
    server = http.server.HTTPServer(listener.getsockname(), Handler, bind_and_activate=False)
    server.socket.close()
    server.socket = listener
    server.serve_forever()


def get_page(url):
    """Runs in a pool worker: the slow part."""
    path = "/" + url.split("/", 3)[3]
    say(f"GET {path} ... (waiting for the site)")
    began = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            html = response.read().decode()
    except urllib.error.HTTPError as e:
        raise RuntimeError(f"{url.split('/', 3)[3]}: page not found ({e.code})") from None
    say(f"got {path}: {len(html)} bytes in {time.monotonic() - began:.2f} s; handing it back to the main process")
    return url, html, os.getpid()


def main():
    parser = argparse.ArgumentParser(description="a Pool crawls a local site (mpdemo crawler)")
    parser.add_argument("--workers", type=int, default=3, help="pool processes that fetch pages")
    parser.add_argument("--servers", type=int, default=4, help="HTTP server processes (requests answered at once)")
    parser.add_argument("--latency", type=float, default=0.5, help="seconds the site takes to answer (random 0.5..1.5 x this)")
    parser.add_argument("--start", default="/index.html", help="the page the crawl starts from")
    parser.add_argument("--speed", type=float, default=1.0, help="multiply every sleep by F")
    args = parser.parse_args()

    listener = socket.create_server(("127.0.0.1", 0), backlog=64)
    base = "http://127.0.0.1:%d" % listener.getsockname()[1]
    servers = [mp.Process(target=serve, args=(listener, args.latency * args.speed), name=f"HttpServer-{i}", daemon=True)
               for i in range(1, args.servers + 1)]
    for s in servers:
        s.start()
    listener.close()  # the servers have their copies; main only crawls
    say(f"the site: {args.servers} HTTP server process(es) on {base}, {len(SITE)} page(s)")

    parsed, broken, callback_pids, fetch_pids = {}, [], set(), set()
    done = threading.Condition()  # callbacks run on a pool thread; the main thread waits here
    outstanding = 0
    submitted = set()

    def parse_page(result):  # the callback: in the main process, on the pool's result thread
        nonlocal outstanding
        url, html, worker = result
        title = re.search(r"<title>(.*?)</title>", html).group(1)
        links = re.findall(r'href="([^"]+)"', html)
        say(f"callback parsed {url[len(base):]}: title {title!r}, {len(links)} link(s)")
        with done:
            parsed[url] = parsed.get(url, 0) + 1
            callback_pids.add(os.getpid())
            fetch_pids.add(worker)
            new_links.extend(base + link for link in links)
            outstanding -= 1
            done.notify()

    def failed(error):  # error_callback: also in the main process
        nonlocal outstanding
        say(f"error_callback: {error}")
        with done:
            broken.append(str(error))
            callback_pids.add(os.getpid())
            outstanding -= 1
            done.notify()

    began = time.monotonic()
    new_links = [base + args.start]
    with mp.Pool(args.workers) as pool:
        with done:
            while True:
                # The callbacks only record new links; the main thread submits them (a callback must not block).
                fresh = [u for u in dict.fromkeys(new_links) if u not in submitted]
                new_links.clear()
                for url in fresh:
                    submitted.add(url)
                    outstanding += 1
                    pool.apply_async(get_page, (url,), callback=parse_page, error_callback=failed)
                if fresh:
                    say(f"submitted {len(fresh)} fetch(es) with apply_async")
                if outstanding == 0 and not new_links:
                    break
                done.wait()
        pool.close()
        pool.join()
    took = time.monotonic() - began
    for s in servers:
        s.terminate()  # the servers would serve forever
        s.join()
    say(f"read {len(parsed)} page(s), {len(broken)} broken link(s) in {took:.2f} s with {args.workers} worker(s)")
    print(json.dumps({"twin": "crawler", "site_pages": len(SITE), "parsed": len(parsed),
                      "parsed_once": sum(1 for n in parsed.values() if n == 1), "broken": broken,
                      "callback_pids": sorted(callback_pids), "main": os.getpid(), "fetch_pids": sorted(fetch_pids),
                      "workers": args.workers, "took": round(took, 4)}))


if __name__ == "__main__":
    mp.set_start_method("fork")
    main()
