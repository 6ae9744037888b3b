using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Transport.Interop.Peers;

/// <summary>
/// A running gtlsserver (ngtcp2 0.12, HTTP/3 only). <see cref="StartAsync"/> returns once the server answers the
/// runner's Version Negotiation probe; <see cref="Dispose"/> kills it.
/// </summary>
public sealed class Ngtcp2Server : IDisposable, IAsyncDisposable
{
    private const int MaxStartAttempts = 3;
    private readonly PeerProcess _process;
    private readonly CancellationTokenSource _watchdog = new();
    private int _disposed;

    private Ngtcp2Server(PeerProcess process, IPEndPoint endPoint, string? keyLogFile, IReadOnlyList<string> arguments, TimeSpan maxLifetime)
    {
        _process = process;
        _ = KillAfterAsync(process, maxLifetime, _watchdog.Token);
        EndPoint = endPoint;
        KeyLogFile = keyLogFile;
        Arguments = arguments;
    }

    /// <summary>Where the server listens.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>The UDP port.</summary>
    public int Port => EndPoint.Port;

    /// <summary>"127.0.0.1:port" or "[::1]:port", as used in URLs.</summary>
    public string Authority => EndPoint.AddressFamily == AddressFamily.InterNetworkV6
        ? $"[{EndPoint.Address}]:{EndPoint.Port.ToString(CultureInfo.InvariantCulture)}"
        : $"{EndPoint.Address}:{EndPoint.Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The key log file the server writes, or null.</summary>
    public string? KeyLogFile { get; }

    /// <summary>The arguments the server was started with (without the program path).</summary>
    public IReadOnlyList<string> Arguments { get; }

    /// <summary>The process (command line, output files, state).</summary>
    public PeerProcess Process => _process;

    /// <summary>Path of the server's stderr (its log; complete once the server is disposed).</summary>
    public string StandardErrorPath => _process.StandardErrorPath;

    /// <summary>"https://authority/path" for a file name or path.</summary>
    public string Url(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return "https://" + Authority + (path.StartsWith('/') ? path : "/" + path);
    }

    /// <summary>The command-line arguments <paramref name="options"/> stands for, with <paramref name="port"/>.</summary>
    public static List<string> BuildArguments(Ngtcp2ServerOptions options, int port)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrEmpty(options.WebRoot)) throw new ArgumentException("WebRoot is required.", nameof(options));
        if (string.IsNullOrEmpty(options.CertificatePath)) throw new ArgumentException("CertificatePath is required.", nameof(options));
        if (string.IsNullOrEmpty(options.PrivateKeyPath)) throw new ArgumentException("PrivateKeyPath is required.", nameof(options));
        if (port is < 1 or > 65535) throw new ArgumentOutOfRangeException(nameof(port), port, "The port must be 1..65535.");

        var a = new List<string>();
        if (options.Quiet) a.Add("-q");
        else { a.Add("--no-quic-dump"); a.Add("--no-http-dump"); }
        a.Add("-d"); a.Add(options.WebRoot);
        if (options.ValidateAddress) a.Add("-V");
        if (options.RequestClientCertificate) a.Add("--verify-client");
        if (options.Ciphers is not null) a.Add("--ciphers=" + options.Ciphers);
        if (options.Groups is not null) a.Add("--groups=" + options.Groups);
        if (options.QlogDirectory is not null) a.Add("--qlog-dir=" + options.QlogDirectory);
        if (options.IdleTimeout is TimeSpan idle) a.Add("--timeout=" + Ngtcp2.FormatDuration(idle));
        if (options.HandshakeTimeout is TimeSpan hs) a.Add("--handshake-timeout=" + Ngtcp2.FormatDuration(hs));
        if (options.InitialRtt is TimeSpan rtt) a.Add("--initial-rtt=" + Ngtcp2.FormatDuration(rtt));
        if (options.MaxStreamsBidi is int streams) a.Add("--max-streams-bidi=" + streams.ToString(CultureInfo.InvariantCulture));
        if (options.MaxData is long maxData) a.Add("--max-data=" + maxData.ToString(CultureInfo.InvariantCulture));
        if (options.PreferredIPv4Address is IPEndPoint p4) a.Add("--preferred-ipv4-addr=" + p4.Address + ":" + p4.Port.ToString(CultureInfo.InvariantCulture));
        if (options.PreferredIPv6Address is IPEndPoint p6) a.Add("--preferred-ipv6-addr=[" + p6.Address + "]:" + p6.Port.ToString(CultureInfo.InvariantCulture));
        if (options.PreferredVersions is not null) a.Add("--preferred-versions=" + options.PreferredVersions);
        if (options.NoPmtud) a.Add("--no-pmtud");
        if (options.CongestionController is not null) a.Add("--cc=" + options.CongestionController);
        a.AddRange(options.ExtraArguments);
        a.Add(options.Address.ToString());
        a.Add(port.ToString(CultureInfo.InvariantCulture));
        a.Add(options.PrivateKeyPath);
        a.Add(options.CertificatePath);
        return a;
    }

    /// <summary>
    /// Starts gtlsserver and waits until it answers the Version Negotiation probe. With <see cref="Ngtcp2ServerOptions.Port"/>
    /// 0 a free port is chosen, and another one if the server could not bind it. Throws
    /// <see cref="PlatformNotSupportedException"/> when ngtcp2 is not installed and <see cref="InvalidOperationException"/>
    /// (with the server's stderr) when it does not come up.
    /// </summary>
    public static async Task<Ngtcp2Server> StartAsync(Ngtcp2ServerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        Ngtcp2.ThrowIfNotInstalled();
        if (string.IsNullOrEmpty(options.RunDirectory)) throw new ArgumentException("RunDirectory is required.", nameof(options));
        if (options.MaxLifetime <= TimeSpan.Zero) throw new ArgumentException("MaxLifetime must be positive.", nameof(options));
        Directory.CreateDirectory(options.RunDirectory);
        string? keyLog = options.KeyLogFile is null ? Path.Combine(options.RunDirectory, "keys.log")
            : options.KeyLogFile.Length == 0 ? null : options.KeyLogFile;
        var env = new Dictionary<string, string?> { ["SSLKEYLOGFILE"] = keyLog };

        string lastError = "";
        for (int attempt = 1; attempt <= MaxStartAttempts; attempt++)
        {
            int port = options.Port != 0 ? options.Port : UdpPorts.GetFree(options.Address);
            List<string> args = BuildArguments(options, port);
            var process = PeerProcess.Start(Ngtcp2.ServerPath!, args,
                Path.Combine(options.RunDirectory, "server.out"), Path.Combine(options.RunDirectory, "server.err"), env,
                hardLimit: options.MaxLifetime + TimeSpan.FromSeconds(5));
            var endPoint = new IPEndPoint(options.Address, port);
            bool ready;
            try
            {
                using var probing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                Task<bool> probe = VersionNegotiationProbe.WaitAsync(endPoint, options.StartTimeout, TimeSpan.FromMilliseconds(50), probing.Token);
                Task first = await Task.WhenAny(probe, process.Exited).ConfigureAwait(false);
                if (first != probe)
                {
                    await probing.CancelAsync().ConfigureAwait(false);
                    try { await probe.ConfigureAwait(false); } catch (OperationCanceledException) { }
                    cancellationToken.ThrowIfCancellationRequested();
                    ready = false;
                }
                else ready = await probe.ConfigureAwait(false);
            }
            catch
            {
                process.Dispose();
                throw;
            }
            if (ready && !process.HasExited) return new Ngtcp2Server(process, endPoint, keyLog, args, options.MaxLifetime);

            process.Kill();
            await process.WaitForExitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
            string stderr = process.ReadStandardErrorTail(1000).Trim();
            lastError = $"gtlsserver did not answer on {endPoint} (exit code {process.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "none"}): "
                        + stderr + "\ncommand: " + process.CommandLine;
            process.Dispose();
            // Only a port taken between choosing and binding it is worth another try.
            if (options.Port != 0 || !stderr.Contains("Could not bind", StringComparison.Ordinal)) break;
        }
        throw new InvalidOperationException(lastError);
    }

    private static async Task KillAfterAsync(PeerProcess process, TimeSpan maxLifetime, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(maxLifetime, cancellationToken).ConfigureAwait(false);
            process.Kill();
        }
        catch (OperationCanceledException) { /* disposed first */ }
    }

    /// <summary>Kills the server.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _watchdog.Cancel();
        _process.Dispose();
        _watchdog.Dispose();
    }

    /// <summary>Kills the server.</summary>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
