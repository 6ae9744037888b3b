using System.Net;
using System.Net.Quic;
using System.Security.Cryptography.X509Certificates;
using Transport.Interop.Msquic;
using Transport.Interop.Peers;

namespace Transport.Interop.Matrix;

/// <summary>
/// msquic through System.Net.Quic, speaking hq-interop in-process (Msquic/), for the TESTCASEs it can do
/// (handshake, transfer); every other TESTCASE is 127. It writes no key log, so checks that need one are unsupported.
/// Shown as "unavailable" when libmsquic is not installed (no package source here serves it).
/// </summary>
public sealed class MsquicEndpoint : MatrixEndpoint
{
    private static readonly string[] Supported = ["handshake", "transfer"];

    /// <inheritdoc />
    public override string? UnavailableReason => MsquicPeer.UnavailableReason;

    /// <inheritdoc />
    public override async Task<ServerStart> StartServerAsync(ServerRequest request, CancellationToken cancellationToken)
    {
        if (!Supported.Contains(request.TestCase)) return ServerStart.Unsupported("server exited 127");
        X509Certificate2Collection chain = request.Certificates.Chain;
        var intermediates = new X509Certificate2Collection();
        for (int i = 1; i < chain.Count; i++) intermediates.Add(chain[i]);
        int port = UdpPorts.GetFree(request.Address);
        try
        {
            MsquicHqServer server = await MsquicHqServer.StartAsync(new IPEndPoint(request.Address, port), request.WebRoot,
                request.Certificates.Leaf, intermediates, cancellationToken).ConfigureAwait(false);
            return ServerStart.Running(new Wrapped(server));
        }
        catch (Exception e) when (e is QuicException or PlatformNotSupportedException or InvalidOperationException)
        {
            return ServerStart.Failed("msquic server did not start: " + e.Message);
        }
    }

    /// <inheritdoc />
    public override async Task<ClientRun> RunClientAsync(ClientRequest request, CancellationToken cancellationToken)
    {
        if (!Supported.Contains(request.TestCase)) return new ClientRun(127, null, "");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(request.Deadline);
        try
        {
            await MsquicHqClient.DownloadAsync(request.Target, "server4", request.Requests, request.DownloadDirectory, cts.Token).ConfigureAwait(false);
            return new ClientRun(0, null, "");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new ClientRun(null, null, "timed out");
        }
        catch (Exception e) when (e is QuicException or IOException or PlatformNotSupportedException)
        {
            return new ClientRun(1, null, e.Message);
        }
    }

    private sealed class Wrapped(MsquicHqServer server) : IMatrixServer
    {
        public IPEndPoint EndPoint => server.LocalEndPoint;

        public IReadOnlyList<IPEndPoint> MoreEndPoints => [];

        public string? KeyLogPath => null;

        public int? ExitCode => null;

        public string ErrorTail() => "";

        public ValueTask DisposeAsync() => server.DisposeAsync();
    }
}
