using System.Net;
using Transport.Interop.Peers;

namespace Transport.Interop.Matrix;

/// <summary>Debian's ngtcp2 (gtlsserver/gtlsclient) through <see cref="Ngtcp2InteropEndpoint"/>'s per-TESTCASE flags.</summary>
public sealed class Ngtcp2Endpoint : MatrixEndpoint
{
    /// <inheritdoc />
    public override string? UnavailableReason => Ngtcp2.MissingReason;

    /// <inheritdoc />
    public override async Task<ServerStart> StartServerAsync(ServerRequest request, CancellationToken cancellationToken)
    {
        var options = new Ngtcp2ServerOptions
        {
            Address = request.Address,
            WebRoot = request.WebRoot,
            CertificatePath = request.Certificates.CertificatePath,
            PrivateKeyPath = request.Certificates.PrivateKeyPath,
            RunDirectory = request.LogDirectory,
            KeyLogFile = Path.Combine(request.LogDirectory, "keys.log"),
            MaxLifetime = request.Lifetime,
            StartTimeout = OurEndpoint.StartTimeout,
        };
        if (!Ngtcp2InteropEndpoint.TryConfigureServer(request.TestCase, options)) return ServerStart.Unsupported("server exited 127");
        try
        {
            Ngtcp2Server server = await Ngtcp2Server.StartAsync(options, cancellationToken).ConfigureAwait(false);
            var more = new List<IPEndPoint>();
            if (options.PreferredIPv4Address is { } p4) more.Add(p4);
            if (options.PreferredIPv6Address is { } p6) more.Add(p6);
            return ServerStart.Running(new Wrapped(server, more));
        }
        catch (InvalidOperationException e)
        {
            return ServerStart.Failed("gtlsserver did not start: " + e.Message);
        }
    }

    /// <inheritdoc />
    public override async Task<ClientRun> RunClientAsync(ClientRequest request, CancellationToken cancellationToken)
    {
        var template = new Ngtcp2ClientOptions
        {
            Host = "", // derived from the URL: server4 → 127.0.0.1, server6 → ::1
            Port = request.Target.Port,
            DownloadDirectory = request.DownloadDirectory,
            RunDirectory = request.LogDirectory,
            KeyLogFile = Path.Combine(request.LogDirectory, "keys.log"),
            Deadline = request.Deadline,
        };
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(request.Deadline + TimeSpan.FromSeconds(5)); // one deadline for all runs of a multi-connection client
        Ngtcp2InteropClientResult result;
        try
        {
            result = await Ngtcp2InteropEndpoint.RunClientAsync(request.TestCase, request.Requests, template, cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new ClientRun(null, template.KeyLogFile, "gtlsclient runs exceeded the test's timeout");
        }
        if (result.Runs.Any(r => r.TimedOut)) return new ClientRun(null, template.KeyLogFile, "gtlsclient timed out");
        return new ClientRun(result.ExitCode, template.KeyLogFile, "");
    }

    private sealed class Wrapped(Ngtcp2Server server, IReadOnlyList<IPEndPoint> more) : IMatrixServer
    {
        public IPEndPoint EndPoint => server.EndPoint;

        public IReadOnlyList<IPEndPoint> MoreEndPoints => more;

        public string? KeyLogPath => server.KeyLogFile;

        public int? ExitCode => server.Process.ExitCode;

        public string ErrorTail() => server.Process.ReadStandardErrorTail(300).Trim();

        public ValueTask DisposeAsync() => server.DisposeAsync();
    }
}
