#!/usr/bin/python3
"""Per-uid fairness on edgesec's sockets (issue 12): one uid floods, two others are served.

Run as root with the daemons up (`edgectl up --root DIR`, sockets 0666):
  uid_flood.py RUNDIR --cap N [--flood N] [--seconds S] [--flood-uid U] [--other-uid U]

1. Cap: the flooding uid (a child that setuid()s) opens --flood connections to each socket, each
   with half a request (the header block never ends). After a settle time it counts the ones the
   server still holds: at most --cap, the rest closed by the server (time to close measured).
2. Flood: it keeps reopening every connection the server drops (the attack of the issue) while
   root (this process) and --other-uid (another child) each make 50 GET /version requests,
   round-robin over the sockets, --pace apart (about 2.5 s of flood), a full request on a fresh
   connection each: all must answer 200 within --max-latency.
Prints the numbers; exits 0 when every check holds, 1 otherwise.
"""
import argparse
import errno
import json
import os
import resource
import select
import socket
import sys
import time

SOCKETS = {"keyd": "2020-09-01", "certd": "2020-09-01", "identityd": "2020-09-01",
           "workload": "2018-06-28"}


def half_request(version):
    return ("GET /version?api-version=%s HTTP/1.1\r\nHost: x\r\n" % version).encode()


def full_request(version):
    return ("GET /version?api-version=%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            % version).encode()


def drop_to(uid):
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)


def open_half(path, version):
    """A connection with half a request sent, non-blocking; None when connect() or send() fails
    (the server may close a refused connection before the half request is sent)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.connect(path)
        s.send(half_request(version))
    except OSError:
        s.close()
        return None
    return s


def closed_by_peer(s):
    try:
        return s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def flooder(run, args, report_fd, stop_fd):
    """Child: cap measurement, then the reopen flood until stop_fd is readable."""
    drop_to(args.flood_uid)
    conns = {}  # name -> list of (socket or None, opened-at)
    close_times = []
    for name, version in SOCKETS.items():
        conns[name] = [open_half(os.path.join(run, name + ".sock"), version)
                       for _ in range(args.flood)]
    opened = time.monotonic()
    poller = select.poll()
    by_fd = {}
    for name, lst in conns.items():
        for s in lst:
            if s is not None:
                poller.register(s.fileno(), select.POLLIN)
                by_fd[s.fileno()] = s
    # Time to close: how long after the opening burst the refused connections were closed.
    deadline = opened + args.settle
    pending = set(by_fd)
    while time.monotonic() < deadline and pending:
        for fd, _ in poller.poll(50):
            if fd in pending and closed_by_peer(by_fd[fd]):
                pending.discard(fd)
                close_times.append(time.monotonic() - opened)
    held = {name: sum(1 for s in lst if s is not None and not closed_by_peer(s))
            for name, lst in conns.items()}
    closed_early = {name: sum(1 for s in lst if s is None) for name, lst in conns.items()}
    report = {"held": held, "closed_before_sent": closed_early,
              "closed": len(close_times),
              "slowest_close_s": round(max(close_times), 3) if close_times else None}
    os.write(report_fd, (json.dumps(report) + "\n").encode())
    reopened = 0
    while not select.select([stop_fd], [], [], 0)[0]:
        for name, version in SOCKETS.items():
            lst = conns[name]
            for i, s in enumerate(lst):
                if s is None or closed_by_peer(s):
                    if s is not None:
                        s.close()
                    lst[i] = open_half(os.path.join(run, name + ".sock"), version)
                    reopened += 1
        time.sleep(0.001)
    os.write(report_fd, (json.dumps({"reopened": reopened}) + "\n").encode())
    os._exit(0)


def one_request(path, version, timeout):
    start = time.monotonic()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    connected = False
    try:
        s.connect(path)
        connected = True
        s.sendall(full_request(version))
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        line = data.split(b"\r\n", 1)[0].split()
        status = int(line[1]) if len(line) >= 2 and line[1].isdigit() else 0
        why = "HTTP %d" % status if status else "closed without an answer"
    except OSError as e:
        status = 0
        why = "%s: %s" % ("connect" if not connected else "exchange",
                          errno.errorcode.get(e.errno, str(e)))
    finally:
        s.close()
    return status, time.monotonic() - start, why


def client(run, n, timeout, pace):
    """n requests round-robin over the sockets, `pace` seconds apart: (successes, latencies,
    failures by socket)."""
    names = list(SOCKETS)
    ok, lat, failed = 0, [], {}
    # failed: socket name -> {reason: count}
    for i in range(n):
        if i:
            time.sleep(pace)
        name = names[i % len(names)]
        status, took, why = one_request(os.path.join(run, name + ".sock"), SOCKETS[name],
                                         timeout)
        lat.append(took)
        if status == 200:
            ok += 1
        else:
            reasons = failed.setdefault(name, {})
            reasons[why] = reasons.get(why, 0) + 1
    return ok, lat, failed


def summary(who, n, ok, lat, failed):
    lat = sorted(lat)
    return {"who": who, "requests": n, "ok": ok, "failed_by_socket": failed,
            "p50_ms": round(lat[len(lat) // 2] * 1000, 1), "max_ms": round(lat[-1] * 1000, 1)}


def other_uid_client(run, args, out_fd):
    drop_to(args.other_uid)
    ok, lat, failed = client(run, args.requests, args.timeout, args.pace)
    os.write(out_fd, (json.dumps(summary("uid %d" % args.other_uid, args.requests, ok, lat,
                                         failed)) + "\n").encode())
    os._exit(0)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("run")
    p.add_argument("--cap", type=int, required=True)
    p.add_argument("--flood", type=int, default=200)
    p.add_argument("--flood-only", action="store_true", help="the cap measurement alone")
    p.add_argument("--exact", action="store_true", help="each socket must hold exactly --cap")
    p.add_argument("--requests", type=int, default=50)
    p.add_argument("--timeout", type=float, default=5.0)
    p.add_argument("--pace", type=float, default=0.05, help="seconds between two requests")
    p.add_argument("--settle", type=float, default=1.5)
    p.add_argument("--max-latency", type=float, default=2.0)
    p.add_argument("--flood-uid", type=int, default=65534)
    p.add_argument("--other-uid", type=int, default=65533)
    args = p.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = 4 * args.flood + 64
    if hard < need:
        print("SKIP: RLIMIT_NOFILE hard limit %d < %d" % (hard, need), file=sys.stderr)
        return 77
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    rep_r, rep_w = os.pipe()
    stop_r, stop_w = os.pipe()
    flood_pid = os.fork()
    if flood_pid == 0:
        os.close(rep_r)
        flooder(args.run, args, rep_w, stop_r)
    os.close(rep_w)
    reports = os.fdopen(rep_r)
    cap_report = json.loads(reports.readline())
    print("flooding uid %d, %d connections per socket: %s" % (args.flood_uid, args.flood,
                                                              json.dumps(cap_report)))
    problems = []
    for name, held in cap_report["held"].items():
        if held > args.cap:
            problems.append("%s: uid %d holds %d connections, more than the cap %d"
                            % (name, args.flood_uid, held, args.cap))
        elif args.exact and held != args.cap:
            problems.append("%s: uid %d holds %d connections, not the cap %d"
                            % (name, args.flood_uid, held, args.cap))
        if held == 0:
            problems.append("%s: none of uid %d's connections was served" % (name, args.flood_uid))
    results = []
    if not args.flood_only:
        out_r, out_w = os.pipe()
        other_pid = os.fork()
        if other_pid == 0:
            os.close(out_r)
            other_uid_client(args.run, args, out_w)
        os.close(out_w)
        start = time.monotonic()
        ok, lat, failed = client(args.run, args.requests, args.timeout, args.pace)
        results.append(summary("root", args.requests, ok, lat, failed))
        results.append(json.loads(os.fdopen(out_r).readline() or "null"))
        os.waitpid(other_pid, 0)
        print("during the flood (%.1f s):" % (time.monotonic() - start))
    os.write(stop_w, b"x")
    flood_report = reports.readline()
    os.waitpid(flood_pid, 0)
    if flood_report:
        print("  flooder reopened %d connections meanwhile" % json.loads(flood_report)["reopened"])
    for r in results:
        print("  " + json.dumps(r))
        if r is None:
            problems.append("the other uid's client reported nothing")
            continue
        if r["ok"] != r["requests"]:
            problems.append("%s: %d of %d requests failed" % (r["who"], r["requests"] - r["ok"],
                                                              r["requests"]))
        if r["max_ms"] > args.max_latency * 1000:
            problems.append("%s: slowest request %.0f ms" % (r["who"], r["max_ms"]))
    for pr in problems:
        print("FAIL: " + pr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
