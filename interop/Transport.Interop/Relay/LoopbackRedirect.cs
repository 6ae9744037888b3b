using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Transport.Interop.Relay;

/// <summary>
/// An nftables DNAT rule that sends loopback UDP datagrams addressed to <see cref="From"/> to <see cref="To"/> instead,
/// except those sent from sockets marked with <see cref="BypassMark"/> (SO_MARK, see
/// <see cref="UdpRelayOptions.UpstreamSocketMark"/>). connectionmigration with gtlsserver: the server binds and
/// advertises its preferred address itself, so the client's datagrams to it are redirected to the relay's second
/// client-facing port (the relay's own upstream sockets carry the mark and reach the server's port unchanged); conntrack
/// rewrites the replies' source back to the advertised address, so the client sees the address it dialled.
/// </summary>
/// <remarks>
/// One table of our own per redirect, <c>table ip|ip6 transport_interop_&lt;pid&gt;_&lt;n&gt;</c>, with one chain on the
/// nat output hook: <c>ip daddr A udp dport P meta mark != M dnat to A':P'</c>. Both addresses must be loopback, so
/// nothing is ever redirected off the machine. <see cref="Dispose"/> deletes the table; tables left behind by a process
/// that died (kill -9) are removed by <see cref="RemoveStaleTables"/> (the pid in the name is not running). Needs root
/// (CAP_NET_ADMIN) and the nft program (Debian's nftables package).
/// </remarks>
public sealed class LoopbackRedirect : IDisposable
{
    /// <summary>Prefix of the nftables tables this class creates.</summary>
    public const string TablePrefix = "transport_interop_";

    /// <summary>SO_MARK of the sockets whose datagrams are never redirected (the relay's upstream sockets): "tq" 1.</summary>
    public const uint BypassMark = 0x7471_0001;

    /// <summary>What to do when nft is missing.</summary>
    public const string NotInstalledMessage = "nft not installed (DEBIAN_FRONTEND=noninteractive apt-get install -y nftables)";

    private static readonly string[] Candidates = ["/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft"];
    private static readonly object ProbeLock = new();
    private static string? _probedMissing;
    private static bool _probed;
    private static int _counter;

    private readonly string _family;
    private int _disposed;

    private LoopbackRedirect(string family, string table, IPEndPoint from, IPEndPoint to)
    {
        _family = family;
        TableName = table;
        From = from;
        To = to;
    }

    /// <summary>Path of nft, or null when not installed.</summary>
    public static string? ExecutablePath => Array.Find(Candidates, File.Exists);

    /// <summary>
    /// Why a redirect cannot be made here (not Linux, not root, nft missing, or nft cannot create a nat table in this
    /// kernel/namespace), or null when it can. Probed once per process (a table created and deleted).
    /// </summary>
    public static string? MissingReason
    {
        get
        {
            lock (ProbeLock)
            {
                if (!_probed)
                {
                    _probedMissing = Probe();
                    _probed = true;
                }
                return _probedMissing;
            }
        }
    }

    /// <summary>The table's name (<see cref="TablePrefix"/>, this process's id, a counter).</summary>
    public string TableName { get; }

    /// <summary>The destination being redirected (the server's own preferred address).</summary>
    public IPEndPoint From { get; }

    /// <summary>Where its datagrams go instead (the relay's second port).</summary>
    public IPEndPoint To { get; }

    /// <summary>
    /// Installs nftables with apt-get when nft is missing and this process is root; returns whether a redirect can be
    /// made afterwards (<see cref="MissingReason"/> is null). Progress goes to <paramref name="log"/>.
    /// </summary>
    public static bool EnsureAvailable(TextWriter log, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(log);
        if (OperatingSystem.IsLinux() && Environment.IsPrivilegedProcess && ExecutablePath is null && File.Exists("/usr/bin/apt-get"))
        {
            log.WriteLine("nft not found: installing it with apt-get (DEBIAN_FRONTEND=noninteractive apt-get install -y nftables)...");
            Run("/usr/bin/apt-get", ["install", "-y", "--no-install-recommends", "nftables"], null, timeout, new() { ["DEBIAN_FRONTEND"] = "noninteractive" });
            lock (ProbeLock) _probed = false;
        }
        return MissingReason is null;
    }

    /// <summary>
    /// Deletes the tables named <see cref="TablePrefix"/>&lt;pid&gt;_... whose process is no longer running (left by a
    /// run that was killed); tables of running processes (parallel runs) are kept. Returns how many were deleted.
    /// </summary>
    public static int RemoveStaleTables(TextWriter? log = null)
    {
        string? nft = ExecutablePath;
        if (nft is null || !Environment.IsPrivilegedProcess) return 0;
        (int code, string output, _) = Run(nft, ["list", "tables"], null, TimeSpan.FromSeconds(10));
        if (code != 0) return 0;
        int removed = 0;
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // "table ip transport_interop_1234_1"
            string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 3 || parts[0] != "table" || !parts[2].StartsWith(TablePrefix, StringComparison.Ordinal)) continue;
            string[] idParts = parts[2][TablePrefix.Length..].Split('_');
            if (!int.TryParse(idParts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
            if (pid == Environment.ProcessId || Directory.Exists("/proc/" + pid.ToString(CultureInfo.InvariantCulture))) continue;
            if (Run(nft, ["delete", "table", parts[1], parts[2]], null, TimeSpan.FromSeconds(10)).Code == 0)
            {
                removed++;
                log?.WriteLine($"removed stale nftables table {parts[1]} {parts[2]} (process {pid} is gone)");
            }
        }
        return removed;
    }

    /// <summary>
    /// Creates the table: UDP to <paramref name="from"/> from any socket not marked <paramref name="bypassMark"/> goes
    /// to <paramref name="to"/>. Throws <see cref="ArgumentException"/> unless both are loopback addresses of one
    /// family, <see cref="InvalidOperationException"/> (with the reason) when nft is missing or refuses.
    /// </summary>
    public static LoopbackRedirect Create(IPEndPoint from, IPEndPoint to, uint bypassMark = BypassMark)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        if (!IPAddress.IsLoopback(from.Address) || !IPAddress.IsLoopback(to.Address))
            throw new ArgumentException($"Only loopback addresses are redirected: {from} -> {to}.", nameof(from));
        if (from.AddressFamily != to.AddressFamily)
            throw new ArgumentException($"{from} and {to} are of different address families.", nameof(to));
        if (from.Port == 0 || to.Port == 0) throw new ArgumentException("Both ports must be set.", nameof(from));
        if (bypassMark == 0) throw new ArgumentException("The bypass mark must not be 0 (unmarked sockets would bypass).", nameof(bypassMark));
        if (MissingReason is { } missing) throw new InvalidOperationException("Cannot redirect " + from + ": " + missing);
        bool v6 = from.AddressFamily == AddressFamily.InterNetworkV6;
        string family = v6 ? "ip6" : "ip";
        string table = TablePrefix + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "_"
            + Interlocked.Increment(ref _counter).ToString(CultureInfo.InvariantCulture);
        string target = v6 ? $"[{to.Address}]:{to.Port}" : $"{to.Address}:{to.Port}";
        string script =
            $"table {family} {table} {{\n" +
            "  chain output {\n" +
            "    type nat hook output priority -100; policy accept;\n" +
            $"    {family} daddr {from.Address} udp dport {from.Port} meta mark != 0x{bypassMark:x8} dnat to {target}\n" +
            "  }\n" +
            "}\n";
        (int code, _, string err) = Run(ExecutablePath!, ["-f", "-"], script, TimeSpan.FromSeconds(10));
        if (code != 0)
        {
            Run(ExecutablePath!, ["delete", "table", family, table], null, TimeSpan.FromSeconds(10)); // in case half of it exists
            throw new InvalidOperationException($"nft refused the redirect table ({code}): {err.Trim()}");
        }
        return new LoopbackRedirect(family, table, from, to);
    }

    /// <summary>Deletes the table (idempotent).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (ExecutablePath is { } nft) Run(nft, ["delete", "table", _family, TableName], null, TimeSpan.FromSeconds(10));
    }

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux()) return "needs Linux nftables";
        if (!Environment.IsPrivilegedProcess) return "needs root (CAP_NET_ADMIN) for an nftables redirect";
        string? nft = ExecutablePath;
        if (nft is null) return NotInstalledMessage;
        string table = TablePrefix + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "_probe";
        (int code, _, string err) = Run(nft, ["-f", "-"],
            $"table ip {table} {{\n  chain output {{\n    type nat hook output priority -100; policy accept;\n  }}\n}}\n", TimeSpan.FromSeconds(10));
        Run(nft, ["delete", "table", "ip", table], null, TimeSpan.FromSeconds(10));
        return code == 0 ? null : $"nft cannot create a nat table here ({code}): {err.Trim()}";
    }

    private static (int Code, string Output, string Error) Run(string exe, string[] args, string? stdin, TimeSpan timeout, Dictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(exe)
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin is not null,
            StandardOutputEncoding = Encoding.UTF8, StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var kv in env) psi.Environment[kv.Key] = kv.Value;
        try
        {
            using Process p = Process.Start(psi) ?? throw new InvalidOperationException(exe + " did not start");
            Task<string> output = p.StandardOutput.ReadToEndAsync();
            Task<string> error = p.StandardError.ReadToEndAsync();
            if (stdin is not null)
            {
                p.StandardInput.Write(stdin);
                p.StandardInput.Close();
            }
            if (!p.WaitForExit(timeout))
            {
                try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                return (-1, "", exe + " did not finish in time");
            }
            p.WaitForExit();
            return (p.ExitCode, output.Result, error.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, "", e.Message);
        }
    }
}
