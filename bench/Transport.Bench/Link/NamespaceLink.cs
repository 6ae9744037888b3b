using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Transport.Core.Simulation;

namespace Transport.Bench.Link;

/// <summary>
/// An emulated network path for real sockets: two network namespaces (<c>tq-&lt;pid&gt;-&lt;n&gt;-a</c> and <c>-b</c>),
/// a TUN device in each (<see cref="AddressA"/>/24 and <see cref="AddressB"/>/24, MTU 1500), and a userspace forwarder
/// (two threads, one per direction, see <see cref="LinkDirection"/>) that carries every IP packet from one device to
/// the other through the link model of <see cref="LinkConditions"/> in real time: one-way delay and jitter, random and
/// Gilbert-Elliott loss, a bottleneck with a drop-tail queue. It stands in for netem, which this kernel lacks.
/// </summary>
/// <remarks>
/// Nothing leaves the two namespaces: the addresses live only on the TUN devices inside them, and the host's own
/// interfaces and routes are never touched. The TUN devices are created from a thread that has entered its namespace
/// (setns), so they never appear in the host namespace. Code runs in a namespace through <see cref="Run{T}"/> (a
/// dedicated thread that setns()es first; sockets created there belong to the namespace and may then be used from any
/// thread) or <see cref="StartProcess"/> (<c>ip netns exec</c>). Dispose closes the devices and deletes both
/// namespaces; so does process exit or Ctrl+C, and each new link first sweeps <c>tq-</c> namespaces left by dead
/// processes.
/// </remarks>
public sealed class NamespaceLink : IDisposable
{
    private const string Prefix = "tq-";
    private static int s_counter;
    private static readonly object s_gate = new();
    private static readonly HashSet<NamespaceLink> s_live = [];
    private static bool s_hooked;

    private readonly LinkDirection? _aToB, _bToA;   // in-process forwarder
    private readonly Process? _forwarder;            // or the child process
    private ForwarderProcess.ForwarderReport? _final;
    private int _fdA = -1, _fdB = -1;
    private int _disposed;

    /// <summary>The default spin margin (see the constructor).</summary>
    public static TimeSpan DefaultSpinMargin { get; } = TimeSpan.FromMicroseconds(20);

    /// <summary>Address of the TUN device in namespace A.</summary>
    public static IPAddress AddressA { get; } = IPAddress.Parse("10.77.0.1");

    /// <summary>Address of the TUN device in namespace B.</summary>
    public static IPAddress AddressB { get; } = IPAddress.Parse("10.77.0.2");

    /// <summary>Name of the TUN device in each namespace.</summary>
    public const string DeviceName = "tq0";

    /// <summary>Namespace A's name.</summary>
    public string NamespaceA { get; }

    /// <summary>Namespace B's name.</summary>
    public string NamespaceB { get; }

    /// <summary>Whether the forwarder runs in a child process (<c>link forward</c>) rather than on two threads of this one.</summary>
    public bool OutOfProcess => _forwarder is not null;

    /// <summary>
    /// The counters of the direction that starts at <paramref name="from"/>: live while the link runs (CPU time zero), final
    /// after <see cref="Dispose"/>. Null if the forwarder process is gone.
    /// </summary>
    public LinkDirectionStats? Statistics(LinkSide from)
    {
        ForwarderProcess.ForwarderReport? report = _final;
        if (report is null)
        {
            if (_forwarder is not null)
            {
                lock (_forwarder) report = Volatile.Read(ref _disposed) == 0 ? ForwarderProcess.Ask(_forwarder, "stats") : _final;
            }
            else if (_aToB is not null && _bToA is not null)
            {
                report = new(_aToB.Snapshot(), _bToA.Snapshot());
            }
        }
        return report is null ? null : from == LinkSide.A ? report.AToB : report.BToA;
    }

    /// <summary>Builds the namespaces, devices and forwarder. Throws when <see cref="IsSupported"/> would say no.</summary>
    /// <param name="aToB">Conditions from A to B.</param>
    /// <param name="bToA">Conditions from B to A.</param>
    /// <param name="seed">Seed of the loss generators (each direction derives its own).</param>
    /// <param name="ringCapacity">Packets each direction can hold in flight (queue plus propagation); more are dropped and counted.</param>
    /// <param name="spinMargin">How long before a packet is due the forwarder stops sleeping and spins; default 20 µs.</param>
    /// <param name="realtimePriority">SCHED_FIFO priority of the forwarder threads (1..99), 0 for a normal thread; default 50.</param>
    /// <param name="outOfProcess">Run the forwarder in a child process (default), out of reach of this process's GC pauses.</param>
    public NamespaceLink(LinkConditions aToB, LinkConditions bToA, ulong seed = 1, int ringCapacity = 8192, TimeSpan? spinMargin = null,
        int realtimePriority = 50, bool outOfProcess = true)
    {
        LinkDirection.Validate(aToB, nameof(aToB));
        LinkDirection.Validate(bToA, nameof(bToA));
        if (realtimePriority is < 0 or > 99)
            throw new ArgumentOutOfRangeException(nameof(realtimePriority), realtimePriority, "SCHED_FIFO priorities are 1..99 (0: normal thread).");
        if (!IsSupported(out string reason)) throw new PlatformNotSupportedException(reason);
        SweepStale();
        int n = Interlocked.Increment(ref s_counter);
        string stem = $"{Prefix}{Environment.ProcessId}-{n}";
        NamespaceA = stem + "-a";
        NamespaceB = stem + "-b";
        Register(this);
        try
        {
            Ip($"netns add {NamespaceA}");
            Ip($"netns add {NamespaceB}");
            var span = spinMargin ?? DefaultSpinMargin;
            if (outOfProcess)
            {
                _forwarder = ForwarderProcess.Start(new ForwarderProcess.ForwarderConfig(NamespaceA, NamespaceB, DeviceName,
                    ForwarderProcess.LinkParams.From(aToB), ForwarderProcess.LinkParams.From(bToA), seed, ringCapacity,
                    span.TotalMicroseconds, realtimePriority));
            }
            else
            {
                _fdA = RunInNamespace(NamespaceA, () => LinkNative.OpenTun(DeviceName));
                _fdB = RunInNamespace(NamespaceB, () => LinkNative.OpenTun(DeviceName));
                _aToB = new LinkDirection("A->B", aToB, _fdA, _fdB, seed * 2 + 1, ringCapacity, span, realtimePriority);
                _bToA = new LinkDirection("B->A", bToA, _fdB, _fdA, seed * 2 + 2, ringCapacity, span, realtimePriority);
            }
            foreach (var (ns, address) in new[] { (NamespaceA, AddressA), (NamespaceB, AddressB) })
            {
                Ip($"-n {ns} link set lo up");
                Ip($"-n {ns} addr add {address}/24 dev {DeviceName}");
                Ip($"-n {ns} link set dev {DeviceName} mtu 1500 up");
            }
            // Start forwarding only once both devices are up and addressed.
            _aToB?.Start();
            _bToA?.Start();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>
    /// Whether links can be built here: Linux, root, iproute2's <c>ip</c>, /dev/net/tun, and a namespace can be made.
    /// <paramref name="reason"/> says what is missing and how to get it.
    /// </summary>
    public static bool IsSupported(out string reason)
    {
        const string how = "needs root and iproute2: run as root / apt-get install iproute2";
        if (!OperatingSystem.IsLinux()) { reason = "NamespaceLink needs Linux (network namespaces and TUN devices)."; return false; }
        if (LinkNative.GetEuid() != 0) { reason = $"Not running as root; NamespaceLink {how}."; return false; }
        if (FindIp() is null) { reason = $"'ip' (iproute2) not found on PATH; NamespaceLink {how}."; return false; }
        if (!File.Exists("/dev/net/tun")) { reason = "/dev/net/tun is missing (no TUN support; in a container add --device /dev/net/tun)."; return false; }
        string probe = $"{Prefix}{Environment.ProcessId}-probe";
        var (code, output) = RunIp($"netns add {probe}");
        if (code != 0) { reason = $"Cannot create a network namespace ('ip netns add' said: {output.Trim()}); NamespaceLink {how}, and CAP_SYS_ADMIN."; return false; }
        RunIp($"netns del {probe}");
        reason = "";
        return true;
    }

    /// <summary>
    /// Runs <paramref name="action"/> on a dedicated thread inside the namespace of <paramref name="side"/> and returns its
    /// result. Create and bind sockets there, synchronously; the sockets then work from any thread. Do not start async
    /// work inside (await, Task.Run, async socket calls): a thread the runtime creates from this thread (a new thread-pool
    /// worker, say) inherits its namespace for life, and would later open other code's sockets in the wrong namespace.
    /// </summary>
    public T Run<T>(LinkSide side, Func<T> action) => RunInNamespace(NameOf(side), action);

    /// <summary>Creates a socket in the namespace of <paramref name="side"/>; it may then be used from any thread.</summary>
    public Socket CreateSocket(LinkSide side, AddressFamily family, SocketType type, ProtocolType protocol)
        => Run(side, () => new Socket(family, type, protocol));

    /// <summary>Starts <paramref name="fileName"/> with <paramref name="arguments"/> inside the namespace of <paramref name="side"/> (ip netns exec).</summary>
    public Process StartProcess(LinkSide side, string fileName, IEnumerable<string> arguments, bool redirectOutput = true)
    {
        var info = new ProcessStartInfo(FindIp() ?? "ip")
        {
            RedirectStandardOutput = redirectOutput,
            RedirectStandardError = redirectOutput,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("netns");
        info.ArgumentList.Add("exec");
        info.ArgumentList.Add(NameOf(side));
        info.ArgumentList.Add(fileName);
        foreach (string a in arguments) info.ArgumentList.Add(a);
        return Process.Start(info) ?? throw new InvalidOperationException($"Could not start '{fileName}' in {NameOf(side)}.");
    }

    /// <summary>The network namespace of the calling thread, as /proc/thread-self/ns/net names it (net:[inode]).</summary>
    public static string CurrentThreadNamespace() =>
        new FileInfo("/proc/thread-self/ns/net").LinkTarget ?? throw new InvalidOperationException("/proc/thread-self/ns/net is not a link.");

    /// <summary>The namespace name of <paramref name="side"/>.</summary>
    public string NameOf(LinkSide side) => side == LinkSide.A ? NamespaceA : NamespaceB;

    /// <summary>The address of <paramref name="side"/>.</summary>
    public static IPAddress AddressOf(LinkSide side) => side == LinkSide.A ? AddressA : AddressB;

    /// <summary>Stops the forwarder, closes the devices and deletes both namespaces. Safe to call twice.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (_forwarder is not null)
        {
            try
            {
                lock (_forwarder) _final = ForwarderProcess.Ask(_forwarder, "stop");
            }
            finally
            {
                if (!_forwarder.WaitForExit(5000))
                {
                    try { _forwarder.Kill(); } catch (InvalidOperationException) { }
                    _forwarder.WaitForExit(5000);
                }
                _forwarder.Dispose();
            }
        }
        _aToB?.Stop();
        _bToA?.Stop();
        if (_aToB is not null && _bToA is not null) _final = new(_aToB.Snapshot(), _bToA.Snapshot());
        // Close the devices before the namespaces go, so they vanish with their fds (never moved to the host).
        if (_fdA >= 0) LinkNative.Close(_fdA);
        if (_fdB >= 0) LinkNative.Close(_fdB);
        _fdA = _fdB = -1;
        _aToB?.Dispose();
        _bToA?.Dispose();
        RunIp($"netns del {NamespaceA}");
        RunIp($"netns del {NamespaceB}");
        lock (s_gate) s_live.Remove(this);
    }

    /// <summary>Deletes <c>tq-&lt;pid&gt;-…</c> namespaces whose process is gone (or is a newer process with the same id). Returns how many.</summary>
    public static int SweepStale()
    {
        const string dir = "/var/run/netns";
        if (!Directory.Exists(dir)) return 0;
        int removed = 0;
        foreach (string path in Directory.GetFiles(dir, Prefix + "*"))
        {
            string name = Path.GetFileName(path);
            var m = Regex.Match(name, @"^tq-(\d+)-");
            if (!m.Success || !int.TryParse(m.Groups[1].Value, out int pid) || pid == Environment.ProcessId) continue;
            string proc = "/proc/" + pid;
            bool stale = !Directory.Exists(proc) || File.GetLastWriteTimeUtc(path) < Directory.GetCreationTimeUtc(proc) - TimeSpan.FromSeconds(1);
            if (stale && RunIp($"netns del {name}").Code == 0) removed++;
        }
        return removed;
    }

    private static void Register(NamespaceLink link)
    {
        lock (s_gate)
        {
            s_live.Add(link);
            if (s_hooked) return;
            s_hooked = true;
            AppDomain.CurrentDomain.ProcessExit += (_, _) => DisposeAll();
            AppDomain.CurrentDomain.UnhandledException += (_, _) => DisposeAll();
            Console.CancelKeyPress += (_, _) => DisposeAll();
        }
    }

    private static void DisposeAll()
    {
        NamespaceLink[] links;
        lock (s_gate) links = [.. s_live];
        foreach (var link in links) link.Dispose();
    }

    /// <summary>Runs <paramref name="action"/> on a new thread that first enters network namespace <paramref name="ns"/>.</summary>
    internal static T RunInNamespace<T>(string ns, Func<T> action)
    {
        T result = default!;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                string host = CurrentThreadNamespace();
                LinkNative.EnterNamespace(ns);
                if (CurrentThreadNamespace() == host) throw new InvalidOperationException($"setns into {ns} left the thread in {host}.");
                result = action();
            }
            catch (Exception e)
            {
                error = e;
            }
        }) { IsBackground = true, Name = "netns " + ns };
        thread.Start();
        thread.Join();
        if (error is not null) throw new InvalidOperationException($"Running in namespace {ns} failed: {error.Message}", error);
        return result;
    }

    private static void Ip(string args)
    {
        var (code, output) = RunIp(args);
        if (code != 0) throw new InvalidOperationException($"'ip {args}' failed ({code}): {output.Trim()}");
    }

    private static (int Code, string Output) RunIp(string args)
    {
        var info = new ProcessStartInfo(FindIp() ?? "ip", args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        try
        {
            using var p = Process.Start(info)!;
            string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            if (!p.WaitForExit(10_000))
            {
                p.Kill();
                return (-1, "timed out");
            }
            return (p.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }

    private static string? FindIp()
    {
        foreach (string dir in new[] { "/usr/sbin", "/sbin", "/usr/bin", "/bin" })
        {
            string path = Path.Combine(dir, "ip");
            if (File.Exists(path)) return path;
        }
        return null;
    }
}
