using System.Diagnostics;
using System.Globalization;
using Transport.Interop.Peers;

namespace Transport.Interop.Checks;

/// <summary>
/// Debian's tshark, which the checks use to dissect the relay's pcaps (the runner uses pyshark over tshark). Locates
/// it, installs it when absent and allowed (like the runner's own image, which ships Wireshark), and runs it with a
/// hard deadline.
/// </summary>
public static class Tshark
{
    /// <summary>What to do when tshark is missing.</summary>
    public const string NotInstalledMessage =
        "tshark not installed: DEBIAN_FRONTEND=noninteractive apt-get install -y tshark (the checks that need a dissector are skipped)";

    private static readonly string[] Candidates = ["/usr/bin/tshark", "/usr/local/bin/tshark", "/usr/sbin/tshark"];

    /// <summary>Path of tshark, or null when not installed.</summary>
    public static string? ExecutablePath => Array.Find(Candidates, File.Exists);

    /// <summary>Whether tshark is installed.</summary>
    public static bool IsInstalled => ExecutablePath is not null;

    /// <summary>
    /// Installs tshark with apt-get (non-interactively) when it is missing and this process runs as root; returns
    /// whether tshark is available afterwards. Progress goes to <paramref name="log"/>.
    /// </summary>
    public static bool EnsureInstalled(TextWriter log, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(log);
        if (IsInstalled) return true;
        if (!OperatingSystem.IsLinux() || !File.Exists("/usr/bin/apt-get") || Environment.UserName != "root")
        {
            log.WriteLine(NotInstalledMessage);
            return false;
        }
        log.WriteLine("tshark not found: installing it with apt-get (DEBIAN_FRONTEND=noninteractive apt-get install -y tshark)...");
        var psi = new ProcessStartInfo("/usr/bin/apt-get") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "install", "-y", "--no-install-recommends", "tshark" }) psi.ArgumentList.Add(a);
        psi.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using Process? p = Process.Start(psi);
        if (p is null) return false;
        Task<string> err = p.StandardError.ReadToEndAsync();
        _ = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            log.WriteLine("apt-get did not finish in time; " + NotInstalledMessage);
            return false;
        }
        if (!IsInstalled) log.WriteLine("apt-get failed: " + err.Result.Trim() + "\n" + NotInstalledMessage);
        return IsInstalled;
    }

    /// <summary>
    /// Runs tshark on <paramref name="pcap"/> with the key log (when given), QUIC decoded on
    /// <paramref name="quicPorts"/>, the HTTP/3 dissector disabled (as the runner does), display filter
    /// <paramref name="displayFilter"/> and the output arguments <paramref name="outputArguments"/>; stdout goes to
    /// <paramref name="outputPath"/>. Throws <see cref="InvalidOperationException"/> with tshark's stderr when it fails
    /// or passes <paramref name="deadline"/>.
    /// </summary>
    public static void Run(string pcap, string? keyLog, IEnumerable<int> quicPorts, string displayFilter,
        IReadOnlyList<string> outputArguments, string outputPath, TimeSpan deadline)
    {
        string exe = ExecutablePath ?? throw new InvalidOperationException(NotInstalledMessage);
        var args = new List<string> { "-r", pcap, "-n" };
        if (keyLog is not null) { args.Add("-o"); args.Add("tls.keylog_file:" + keyLog); }
        foreach (int port in quicPorts.Distinct())
        {
            args.Add("-d");
            args.Add("udp.port==" + port.ToString(CultureInfo.InvariantCulture) + ",quic");
        }
        args.Add("--disable-protocol");
        args.Add("http3");
        if (displayFilter.Length > 0) { args.Add("-Y"); args.Add(displayFilter); }
        args.AddRange(outputArguments);

        string errPath = outputPath + ".err";
        using var process = PeerProcess.Start(exe, args, outputPath, errPath, hardLimit: deadline + TimeSpan.FromSeconds(5));
        int? code = process.WaitForExitAsync(deadline).GetAwaiter().GetResult();
        if (code != 0)
        {
            string err = PeerProcess.ReadTail(errPath, 1500).Trim();
            throw new InvalidOperationException(code is null
                ? $"tshark did not finish within {deadline.TotalSeconds:0} s on {Path.GetFileName(pcap)}"
                : $"tshark failed ({code}) on {Path.GetFileName(pcap)}: {err}");
        }
    }
}
