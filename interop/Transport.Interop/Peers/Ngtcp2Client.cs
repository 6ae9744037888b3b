using System.Diagnostics;
using System.Globalization;

namespace Transport.Interop.Peers;

/// <summary>Runs gtlsclient (ngtcp2 0.12, HTTP/3 only) once, bounded by a deadline.</summary>
public static class Ngtcp2Client
{
    /// <summary>The command-line arguments <paramref name="options"/> stands for (without the program path).</summary>
    public static List<string> BuildArguments(Ngtcp2ClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrEmpty(options.Host)) throw new ArgumentException("Host is required.", nameof(options));
        if (options.Port is < 1 or > 65535) throw new ArgumentException($"Port {options.Port} is not 1..65535.", nameof(options));
        if (string.IsNullOrEmpty(options.DownloadDirectory)) throw new ArgumentException("DownloadDirectory is required.", nameof(options));
        if (options.Urls.Count == 0) throw new ArgumentException("At least one URL is required.", nameof(options));
        if ((options.ClientCertificatePath is null) != (options.ClientPrivateKeyPath is null))
            throw new ArgumentException("ClientCertificatePath and ClientPrivateKeyPath go together.", nameof(options));
        if (options.NatRebinding && options.ChangeLocalAddressAfter is null)
            throw new ArgumentException("NatRebinding needs ChangeLocalAddressAfter.", nameof(options));

        var a = new List<string>();
        if (options.Quiet) a.Add("-q");
        else { a.Add("--no-quic-dump"); a.Add("--no-http-dump"); }
        a.Add("--download=" + options.DownloadDirectory);
        if (options.ExitOnAllStreamsClose) a.Add("--exit-on-all-streams-close");
        if (options.Ciphers is not null) a.Add("--ciphers=" + options.Ciphers);
        if (options.Groups is not null) a.Add("--groups=" + options.Groups);
        if (options.Sni is not null) a.Add("--sni=" + options.Sni);
        if (options.SessionFile is not null) a.Add("--session-file=" + options.SessionFile);
        if (options.TransportParametersFile is not null) a.Add("--tp-file=" + options.TransportParametersFile);
        if (options.TokenFile is not null) a.Add("--token-file=" + options.TokenFile);
        if (options.ClientCertificatePath is not null) a.Add("--cert=" + options.ClientCertificatePath);
        if (options.ClientPrivateKeyPath is not null) a.Add("--key=" + options.ClientPrivateKeyPath);
        if (options.DisableEarlyData) a.Add("--disable-early-data");
        if (options.KeyUpdateAfter is TimeSpan ku) a.Add("--key-update=" + Ngtcp2.FormatDuration(ku));
        if (options.DelayStream is TimeSpan ds) a.Add("--delay-stream=" + Ngtcp2.FormatDuration(ds));
        if (options.ChangeLocalAddressAfter is TimeSpan cla) a.Add("--change-local-addr=" + Ngtcp2.FormatDuration(cla));
        if (options.NatRebinding) a.Add("--nat-rebinding");
        if (options.NoPreferredAddress) a.Add("--no-preferred-addr");
        if (options.Version is not null) a.Add("--version=" + options.Version);
        if (options.PreferredVersions is not null) a.Add("--preferred-versions=" + options.PreferredVersions);
        if (options.OtherVersions is not null) a.Add("--other-versions=" + options.OtherVersions);
        if (options.IdleTimeout is TimeSpan idle) a.Add("--timeout=" + Ngtcp2.FormatDuration(idle));
        if (options.HandshakeTimeout is TimeSpan hs) a.Add("--handshake-timeout=" + Ngtcp2.FormatDuration(hs));
        if (options.InitialRtt is TimeSpan rtt) a.Add("--initial-rtt=" + Ngtcp2.FormatDuration(rtt));
        if (options.NoPmtud) a.Add("--no-pmtud");
        if (options.CongestionController is not null) a.Add("--cc=" + options.CongestionController);
        if (options.MaxData is long md) a.Add("--max-data=" + md.ToString(CultureInfo.InvariantCulture));
        if (options.MaxStreamDataBidiLocal is long msd) a.Add("--max-stream-data-bidi-local=" + msd.ToString(CultureInfo.InvariantCulture));
        if (options.QlogFile is not null) a.Add("--qlog-file=" + options.QlogFile);
        a.AddRange(options.ExtraArguments);
        a.Add(options.Host);
        a.Add(options.Port.ToString(CultureInfo.InvariantCulture));
        a.AddRange(options.Urls);
        return a;
    }

    /// <summary>
    /// Runs the client to completion or until <see cref="Ngtcp2ClientOptions.Deadline"/>, when its process tree is
    /// killed. Throws <see cref="PlatformNotSupportedException"/> when ngtcp2 is not installed. Check the result
    /// with <see cref="Ngtcp2ClientRun.Verify"/>: the exit code alone does not tell whether downloads succeeded.
    /// </summary>
    public static async Task<Ngtcp2ClientRun> RunAsync(Ngtcp2ClientOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        Ngtcp2.ThrowIfNotInstalled();
        if (string.IsNullOrEmpty(options.RunDirectory)) throw new ArgumentException("RunDirectory is required.", nameof(options));
        if (options.Deadline <= TimeSpan.Zero) throw new ArgumentException("Deadline must be positive.", nameof(options));
        List<string> args = BuildArguments(options);
        Directory.CreateDirectory(options.RunDirectory);
        Directory.CreateDirectory(options.DownloadDirectory);
        string? keyLog = options.KeyLogFile is null ? Path.Combine(options.RunDirectory, options.RunName + ".keys.log")
            : options.KeyLogFile.Length == 0 ? null : options.KeyLogFile;
        var env = new Dictionary<string, string?> { ["SSLKEYLOGFILE"] = keyLog };

        var sw = Stopwatch.StartNew();
        using var process = PeerProcess.Start(Ngtcp2.ClientPath!, args,
            Path.Combine(options.RunDirectory, options.RunName + ".out"), Path.Combine(options.RunDirectory, options.RunName + ".err"), env,
            hardLimit: options.Deadline + TimeSpan.FromSeconds(5));
        int? exit = await process.WaitForExitAsync(options.Deadline, cancellationToken).ConfigureAwait(false);
        sw.Stop();
        cancellationToken.ThrowIfCancellationRequested();
        return new Ngtcp2ClientRun(process.CommandLine, exit, sw.Elapsed, process.StandardOutputPath, process.StandardErrorPath,
            options.DownloadDirectory, keyLog, options.Quiet);
    }
}
