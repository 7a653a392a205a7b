#!/usr/bin/env python3
"""Which instructions of a JIT-compiled method a perf profile's samples fall on, without hsdis.

    perf-annotate.py JVM_LOG PERF_DATA METHOD [--comm REGEX] [--from S] [--to S] [--top N | --all]
    perf-annotate.py JVM_LOG PERF_DATA --locked [--comm REGEX] [--from S] [--to S]

JVM_LOG is the standard output of a JVM run with
    -XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit
    -XX:CompileCommand=quiet -XX:CompileCommand=print,dev.gort.*::* -XX:CompileCommand=print,dev.gort.sched.*::*
under `perf record -e cpu-clock -F 4999 -o PERF_DATA`. Without the hsdis plug-in, HotSpot prints
each compiled method's machine code as hex words with its scopes; this script takes the compiled
copy of METHOD ("Chan.receiveOrNull" or "dev.gort.Chan::receiveOrNull") that holds the most
samples, disassembles it with objdump and prints the instructions the samples fell on (their
share of the method's samples), or with --all the whole method with each instruction's share.

cpu-clock samples land on the instruction after the one that held them up (one instruction of
skid), so a stall shows as the instruction that follows a `lock`-prefixed one (a CAS, an atomic
add, or G1's StoreLoad fence `lock add [rsp-0x40], 0` in its post-write barrier), or a load
from a line another core wrote. --locked sums, for the 25 Gort methods with the most samples,
the samples that follow a fence and those that follow any other locked instruction.

--comm keeps the samples of matching threads (default the carriers, gort-m*); --from/--to keep
those between S seconds after the first sample and S seconds (an interval of a run's phases).
Needs perf and objdump (binutils). docs/BENCHMARKS.md, "The hop at the instruction level".
"""
import argparse
import bisect
import collections
import re
import subprocess
import sys
import tempfile

HEX = re.compile(r'^\s+0x([0-9a-f]+): ([0-9a-f| ]+)$')
NOTE = re.compile(r'^\s+0x([0-9a-f]+): (;.*)$')


def parse_log(path):
    """Compiled methods: name line, {address: bytes}, {address: [annotations]}."""
    blocks, cur = [], None
    for line in open(path, errors='replace'):
        line = line.rstrip('\n')
        if line.startswith('Compiled method'):
            cur = {'name': line.strip(), 'bytes': {}, 'notes': collections.defaultdict(list)}
            blocks.append(cur)
            continue
        if cur is None:
            continue
        m = HEX.match(line)
        if m and m.group(2).strip():
            try:  # compiler threads print concurrently: a line may interleave two methods
                cur['bytes'][int(m.group(1), 16)] = bytes.fromhex(m.group(2).replace('|', '').replace(' ', ''))
            except ValueError:
                pass
            continue
        m = NOTE.match(line)
        if m:
            cur['notes'][int(m.group(1), 16)].append(m.group(2))
    return [b for b in blocks if b['bytes']]


def samples(perf_data, comm, t_from, t_to):
    out = subprocess.run(['perf', 'script', '-i', perf_data, '-F', 'comm,time,ip,sym'],
                         capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        parts = line.split(None, 3)
        if len(parts) < 3 or not re.match(comm, parts[0]):
            continue
        rows.append((float(parts[1].rstrip(':')), int(parts[2], 16), parts[3].strip() if len(parts) > 3 else '?'))
    if not rows:
        sys.exit('no samples of threads matching %r in %s' % (comm, perf_data))
    t0 = min(r[0] for r in rows)
    return [(ip, sym) for t, ip, sym in rows if t_from <= t - t0 < t_to]


def method_key(name):
    """'Chan.receiveOrNull' or 'dev.gort.Chan::receiveOrNull' -> ('Chan::receiveOrNull', 'Chan.receiveOrNull')."""
    name = name.replace('::', '.')
    cls, meth = name.rsplit('.', 1)
    return cls.split('.')[-1] + '::' + meth, cls.split('.')[-1] + '.' + meth


def annotate(blocks, ips, method):
    in_log, in_perf = method_key(method)
    counts = collections.Counter(ip for ip, sym in ips if in_perf + '(' in sym)
    best = None
    for b in blocks:
        if not re.search(r'[ .]' + re.escape(in_log) + r' ', b['name']):
            continue
        lo = min(b['bytes'])
        hi = max(a + len(v) for a, v in b['bytes'].items())
        n = sum(c for ip, c in counts.items() if lo <= ip < hi)
        if best is None or n > best[0]:
            best = (n, b, lo, hi)
    if best is None or best[0] == 0:
        return None
    n, b, lo, hi = best
    code = bytearray(hi - lo)
    for a, v in b['bytes'].items():
        code[a - lo:a - lo + len(v)] = v
    with tempfile.NamedTemporaryFile(suffix='.bin') as f:  # objdump reads a file, not a pipe
        f.write(code)
        f.flush()
        dis = subprocess.run(['objdump', '-D', '-b', 'binary', '-mi386:x86-64', '-M', 'intel',
                              '--adjust-vma=%d' % lo, f.name], capture_output=True, text=True).stdout
    insns = [(int(m.group(1), 16), m.group(2)) for m in
             (re.match(r'^\s+([0-9a-f]+):\t[0-9a-f ]+\t(.*)$', l) for l in dis.splitlines()) if m]
    addrs = [a for a, _ in insns]
    per = collections.Counter()
    for ip, c in counts.items():
        if lo <= ip < hi:
            per[bisect.bisect_right(addrs, ip) - 1] += c
    return {'name': b['name'], 'n': n, 'total': sum(counts.values()), 'insns': insns, 'per': per, 'notes': b['notes']}


def locked_share(a):
    """Samples on the instruction after a fence, and after any other locked instruction."""
    fence = rmw = 0
    for i, (addr, text) in enumerate(a['insns'][:-1]):
        if text.startswith('lock '):
            c = a['per'].get(i + 1, 0)
            if 'rsp-0x40' in text:
                fence += c
            else:
                rmw += c
    return fence, rmw


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('log')
    ap.add_argument('perf_data')
    ap.add_argument('method', nargs='?')
    ap.add_argument('--comm', default='gort-m')
    ap.add_argument('--from', dest='t_from', type=float, default=0.0)
    ap.add_argument('--to', dest='t_to', type=float, default=1e9)
    ap.add_argument('--top', type=int, default=20)
    ap.add_argument('--all', action='store_true')
    ap.add_argument('--locked', action='store_true')
    args = ap.parse_args()
    blocks = parse_log(args.log)
    ips = samples(args.perf_data, args.comm, args.t_from, args.t_to)
    if args.locked:
        by_method = collections.Counter()
        for ip, sym in ips:
            m = re.search(r'dev\.gort\.([\w.$]+)\.(\w+)\(', sym)
            if m:
                by_method[m.group(1).split('.')[-1] + '.' + m.group(2)] += 1
        tf = tr = 0
        print('%-40s %8s %8s %8s  (shares of the selected threads\' %d samples)' % ('method', 'all', 'fence', 'locked', len(ips)))
        for meth, n in by_method.most_common(25):
            a = annotate(blocks, ips, meth)
            if a is None:
                continue
            f, r = locked_share(a)
            tf, tr = tf + f, tr + r
            print('%-40s %7.2f%% %7.2f%% %7.2f%%' % (meth, 100 * n / len(ips), 100 * f / len(ips), 100 * r / len(ips)))
        print('%-40s %8s %7.2f%% %7.2f%%' % ('total', '', 100 * tf / len(ips), 100 * tr / len(ips)))
        return
    if not args.method:
        sys.exit('a METHOD, or --locked')
    a = annotate(blocks, ips, args.method)
    if a is None:
        sys.exit('no compiled copy of %s holds samples (print it with -XX:CompileCommand=print)' % args.method)
    f, r = locked_share(a)
    print('%s: %d of its %d samples in this copy; after a fence %.1f%%, after another locked instruction %.1f%%'
          % (a['name'], a['n'], a['total'], 100 * f / a['n'], 100 * r / a['n']))
    if args.all:
        for i, (addr, text) in enumerate(a['insns']):
            for note in a['notes'].get(addr, []):
                print(' ' * 24 + note[:120])
            print('%5.1f%% %x %s' % (100 * a['per'].get(i, 0) / a['n'], addr, text))
    else:
        for i, c in a['per'].most_common(args.top):
            prev = a['insns'][i - 1][1] if i > 0 else ''
            print('%5.1f%% %x %-45s after: %s' % (100 * c / a['n'], a['insns'][i][0], a['insns'][i][1][:45], prev[:45]))


if __name__ == '__main__':
    main()
