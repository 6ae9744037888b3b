using System.Globalization;
using System.Net;
using Transport.Interop.Peers;

namespace Transport.Interop.Matrix;

/// <summary>
/// This project's endpoint (Program.cs with ROLE=client|server), run as a child process <c>dotnet
/// Transport.Interop.dll</c> with the runner's environment: ROLE, TESTCASE, REQUESTS, SSLKEYLOGFILE, QLOGDIR, WWW,
/// DOWNLOADS, CERTS; for the server PORT (listening on all addresses); for the client CONNECT_TO (the relay's
/// address:port, dialled instead of the URL's server4:443, whose host stays the SNI), TIMEOUT (the test's, in seconds)
/// and, against an HTTP/3-only peer (Debian's ngtcp2), ALPN=h3. Exit codes: 0 success, 1 failure, 127 unsupported.
/// </summary>
public sealed class OurEndpoint : MatrixEndpoint
{
    /// <summary>How long a server gets to answer the Version Negotiation probe (the runner's wait-for-it: 10 s).</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);

    /// <inheritdoc />
    public override string? UnavailableReason => AssemblyPath is null ? "Transport.Interop.dll not found next to the matrix command" : DotnetHost is null ? "dotnet host not found" : null;

    /// <summary>
    /// Path of Transport.Interop.dll: the ReadyToRun copy a Release build publishes to <c>r2r/</c> next to this assembly
    /// (Transport.Interop.csproj) when it is at least as new as this one, else this assembly. Precompiled code spares
    /// every fresh endpoint process the JIT of the QUIC and TLS path before its first packet.
    /// </summary>
    public static string? AssemblyPath
    {
        get
        {
            string p = typeof(OurEndpoint).Assembly.Location;
            if (p.Length == 0 || !File.Exists(p)) return null;
            string r2r = Path.Combine(Path.GetDirectoryName(p)!, "r2r", Path.GetFileName(p));
            return File.Exists(r2r) && File.GetLastWriteTimeUtc(r2r) >= File.GetLastWriteTimeUtc(p) ? r2r : p;
        }
    }

    /// <summary>The dotnet host that runs the endpoint.</summary>
    public static string? DotnetHost
    {
        get
        {
            if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h)) return h;
            if (Environment.ProcessPath is { } pp && Path.GetFileNameWithoutExtension(pp) == "dotnet") return pp;
            if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root && File.Exists(Path.Combine(root, "dotnet"))) return Path.Combine(root, "dotnet");
            foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            {
                string c = Path.Combine(dir, "dotnet");
                if (File.Exists(c)) return c;
            }
            return File.Exists("/usr/share/dotnet/dotnet") ? "/usr/share/dotnet/dotnet" : null;
        }
    }

    /// <summary>Starts the endpoint with <paramref name="environment"/> (plus the runner's fixed ones).</summary>
    public static PeerProcess Start(string role, Dictionary<string, string?> environment, string logDirectory, TimeSpan hardLimit)
    {
        Directory.CreateDirectory(logDirectory);
        environment["ROLE"] = role;
        environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        environment["DOTNET_NOLOGO"] = "1";
        string host = DotnetHost ?? throw new InvalidOperationException("dotnet host not found");
        string dll = AssemblyPath ?? throw new InvalidOperationException("Transport.Interop.dll not found");
        return PeerProcess.Start(host, [dll], Path.Combine(logDirectory, role + ".out"), Path.Combine(logDirectory, role + ".err"),
            environment, logDirectory, hardLimit);
    }

    /// <inheritdoc />
    public override async Task<ServerStart> StartServerAsync(ServerRequest request, CancellationToken cancellationToken)
    {
        int port = UdpPorts.GetFree(request.Address);
        string keyLog = Path.Combine(request.LogDirectory, "keys.log");
        var env = new Dictionary<string, string?>
        {
            ["TESTCASE"] = request.TestCase,
            ["REQUESTS"] = "",
            ["SSLKEYLOGFILE"] = keyLog,
            ["QLOGDIR"] = Path.Combine(request.LogDirectory, "qlog"),
            ["WWW"] = request.WebRoot,
            ["DOWNLOADS"] = request.DownloadDirectory,
            ["CERTS"] = request.Certificates.Directory,
            ["PORT"] = port.ToString(CultureInfo.InvariantCulture),
        };
        IPEndPoint? preferred = null;
        if (request.AdvertisedPreferredAddress is { } advertised)
        {
            // connectionmigration: bind a second port, advertise the relay's (which forwards to it).
            preferred = new IPEndPoint(request.Address, UdpPorts.GetFree(request.Address));
            env["PREFERRED_LISTEN"] = preferred.ToString();
            env["PREFERRED_ADDRESS"] = advertised.ToString();
        }
        Directory.CreateDirectory(Path.Combine(request.LogDirectory, "qlog"));
        PeerProcess process = Start("server", env, request.LogDirectory, request.Lifetime);
        var endPoint = new IPEndPoint(request.Address, port);
        var server = new ProcessServer(process, endPoint, keyLog, preferred is null ? [] : [preferred]);
        using var probing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task<bool> probe = VersionNegotiationProbe.WaitAsync(endPoint, StartTimeout, TimeSpan.FromMilliseconds(100), probing.Token);
        Task first = await Task.WhenAny(probe, process.Exited).ConfigureAwait(false);
        if (first != probe)
        {
            await probing.CancelAsync().ConfigureAwait(false);
            try { await probe.ConfigureAwait(false); } catch (OperationCanceledException) { }
            await process.WaitForExitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
            int? code = process.ExitCode;
            string tail = server.ErrorTail();
            await server.DisposeAsync().ConfigureAwait(false);
            return code == 127 ? ServerStart.Unsupported("server exited 127")
                : ServerStart.Failed($"server exited with code {code?.ToString(CultureInfo.InvariantCulture) ?? "?"} before answering: {tail}");
        }
        if (!await probe.ConfigureAwait(false))
        {
            string tail = server.ErrorTail();
            await server.DisposeAsync().ConfigureAwait(false);
            return ServerStart.Failed($"server did not answer the Version Negotiation probe within {StartTimeout.TotalSeconds:0} s: {tail}");
        }
        return ServerStart.Running(server);
    }

    /// <inheritdoc />
    public override async Task<ClientRun> RunClientAsync(ClientRequest request, CancellationToken cancellationToken)
    {
        string keyLog = Path.Combine(request.LogDirectory, "keys.log");
        Directory.CreateDirectory(Path.Combine(request.LogDirectory, "qlog"));
        var env = new Dictionary<string, string?>
        {
            ["TESTCASE"] = request.TestCase,
            ["REQUESTS"] = string.Join(' ', request.Requests),
            ["SSLKEYLOGFILE"] = keyLog,
            ["QLOGDIR"] = Path.Combine(request.LogDirectory, "qlog"),
            ["WWW"] = request.WebRoot,
            ["DOWNLOADS"] = request.DownloadDirectory,
            ["CERTS"] = request.CertificatesDirectory,
            ["CONNECT_TO"] = request.Target.ToString(),
            ["TIMEOUT"] = ((int)Math.Ceiling(request.Deadline.TotalSeconds)).ToString(CultureInfo.InvariantCulture),
            ["ALPN"] = request.ServerAlpn,
        };
        using PeerProcess process = Start("client", env, request.LogDirectory, request.Deadline + TimeSpan.FromSeconds(5));
        int? code = await process.WaitForExitAsync(request.Deadline, cancellationToken).ConfigureAwait(false);
        return new ClientRun(code, keyLog, code is null ? "" : LastLines(process.ReadStandardErrorTail(2000), 2));
    }

    // The end of a log is where a failing client says why.
    private static string LastLines(string text, int count)
    {
        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return string.Join(" / ", lines.Skip(Math.Max(0, lines.Length - count)));
    }

    private sealed class ProcessServer(PeerProcess process, IPEndPoint endPoint, string keyLog, IReadOnlyList<IPEndPoint> more) : IMatrixServer
    {
        public IPEndPoint EndPoint => endPoint;

        public IReadOnlyList<IPEndPoint> MoreEndPoints => more;

        public string? KeyLogPath => keyLog;

        public int? ExitCode => process.ExitCode;

        public string ErrorTail() => process.ReadStandardErrorTail(300).Trim();

        public ValueTask DisposeAsync()
        {
            process.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
