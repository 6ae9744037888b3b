using System.Net;
using System.Net.Sockets;

namespace Transport.Bench.Tour;

/// <summary>Plain kernel TCP on loopback (Nagle off), the tour's usual reference.</summary>
internal sealed class KernelTcpContender(TcpStreamMode mode) : ITransportContender
{
    public string Name => mode == TcpStreamMode.Multiplexed ? "TCP, muxed streams" : "kernel TCP";

    public ContenderAvailability Availability => ContenderAvailability.Available;

    public Task<ITourServer> StartServerAsync(TourStreamHandler handler, CancellationToken cancellationToken) =>
        Task.FromResult<ITourServer>(new TcpFamilyServer(handler, Wrap, mode));

    public Task<ITourConnection> ConnectAsync(EndPoint server, CancellationToken cancellationToken) =>
        TcpFamilyConnection.ConnectAsync(server, Wrap, mode, cancellationToken);

    private static Task<Stream> Wrap(Socket socket, CancellationToken cancellationToken) =>
        Task.FromResult<Stream>(new NetworkStream(socket, ownsSocket: true));
}
