using System.Net;
using System.Net.Sockets;

namespace Transport.Interop.Peers;

/// <summary>
/// Captures a client's first flight: listens on a UDP port that never answers, lets the client send its Initial
/// packets there, and decodes the ClientHello (<see cref="ClientHelloInfo"/>). The client is then cancelled.
/// </summary>
public static class ClientHelloCapture
{
    /// <summary>
    /// Binds a UDP port on <paramref name="address"/>, calls <paramref name="runClient"/> with the port and a token
    /// that is cancelled once the ClientHello is read (or <paramref name="timeout"/> passes), and returns what the
    /// client offered; null when no complete ClientHello arrived in time.
    /// </summary>
    public static async Task<ClientHelloInfo?> CaptureAsync(IPAddress address, Func<int, CancellationToken, Task> runClient,
        TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(runClient);
        using var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(address, 0));
        int port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(timeout);
        Task client = Task.Run(() => runClient(port, stop.Token), CancellationToken.None);
        var datagrams = new List<byte[]>();
        byte[] buffer = new byte[65536];
        ClientHelloInfo? info = null;
        try
        {
            while (info is null)
            {
                SocketReceiveFromResult r = await socket.ReceiveFromAsync(buffer, SocketFlags.None,
                    new IPEndPoint(address.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0),
                    stop.Token).ConfigureAwait(false);
                datagrams.Add(buffer.AsSpan(0, r.ReceivedBytes).ToArray());
                ClientHelloInfo.TryDecode(datagrams, out info);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested) { /* timed out */ }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            try { await client.ConfigureAwait(false); } catch (OperationCanceledException) { /* cancelled on purpose */ }
        }
        cancellationToken.ThrowIfCancellationRequested();
        return info;
    }
}
