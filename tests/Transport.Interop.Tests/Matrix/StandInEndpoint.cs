using System.Net;
using System.Net.Sockets;
using Transport.Interop.Matrix;

namespace Transport.Interop.Tests.Matrix;

/// <summary>A scripted endpoint for the verdict rules: a silent UDP server and a client that does what it is told.</summary>
public sealed class StandInEndpoint : MatrixEndpoint
{
    public string? Unavailable { get; init; }
    public bool ServerUnsupported { get; init; }
    public int? ClientExitCode { get; init; } = 0;
    public bool CopyFiles { get; init; }
    public bool WriteExtraFile { get; init; }
    public List<ClientRequest> ClientRequests { get; } = [];

    public override string? UnavailableReason => Unavailable;

    public override Task<ServerStart> StartServerAsync(ServerRequest request, CancellationToken cancellationToken)
    {
        if (ServerUnsupported) return Task.FromResult(ServerStart.Unsupported("server exited 127"));
        var socket = new Socket(request.Address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(request.Address, 0));
        return Task.FromResult(ServerStart.Running(new SilentServer(socket)));
    }

    public override Task<ClientRun> RunClientAsync(ClientRequest request, CancellationToken cancellationToken)
    {
        ClientRequests.Add(request);
        if (CopyFiles)
        {
            string www = Path.Combine(Path.GetDirectoryName(request.DownloadDirectory)!, "www");
            foreach (string url in request.Requests)
            {
                string name = url[(url.LastIndexOf('/') + 1)..];
                File.Copy(Path.Combine(www, name), Path.Combine(request.DownloadDirectory, name));
            }
        }
        if (WriteExtraFile) File.WriteAllText(Path.Combine(request.DownloadDirectory, "session.ticket"), "x");
        return Task.FromResult(new ClientRun(ClientExitCode, null, ClientExitCode is null ? "killed" : "stand-in"));
    }

    private sealed class SilentServer(Socket socket) : IMatrixServer
    {
        public IPEndPoint EndPoint => (IPEndPoint)socket.LocalEndPoint!;
        public IReadOnlyList<IPEndPoint> MoreEndPoints => [];
        public string? KeyLogPath => null;
        public int? ExitCode => null;
        public string ErrorTail() => "";
        public ValueTask DisposeAsync()
        {
            socket.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
