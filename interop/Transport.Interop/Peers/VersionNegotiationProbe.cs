using System.Net;
using System.Net.Sockets;

namespace Transport.Interop.Peers;

/// <summary>
/// The interop runner's start-up probe (wait-for-it-quic, TESTCASES.md §1 step 3): a 1207-byte datagram
/// <c>c0 57 41 49 54 00 00</c> + 1200 zero bytes (long header, version 0x57414954, empty connection IDs), sent every
/// 500 ms until a Version Negotiation packet (bytes 1..4 zero) comes back. A QUIC server that answers it is ready.
/// </summary>
public static class VersionNegotiationProbe
{
    /// <summary>The probe datagram.</summary>
    public static byte[] CreateProbe()
    {
        var probe = new byte[1207];
        ReadOnlySpan<byte> head = [0xc0, 0x57, 0x41, 0x49, 0x54, 0x00, 0x00];
        head.CopyTo(probe);
        return probe;
    }

    /// <summary>True when <paramref name="datagram"/> is a Version Negotiation packet (long header, version 0).</summary>
    public static bool IsVersionNegotiation(ReadOnlySpan<byte> datagram) =>
        datagram.Length >= 7 && (datagram[0] & 0x80) != 0 && datagram[1] == 0 && datagram[2] == 0 && datagram[3] == 0 && datagram[4] == 0;

    /// <summary>
    /// Probes <paramref name="server"/> every <paramref name="interval"/> (default 500 ms) until it answers with
    /// Version Negotiation (true) or <paramref name="timeout"/> passes (false).
    /// </summary>
    public static async Task<bool> WaitAsync(IPEndPoint server, TimeSpan timeout, TimeSpan? interval = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        TimeSpan every = interval ?? TimeSpan.FromMilliseconds(500);
        if (every <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(interval), every, "The interval must be positive.");
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(server.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0));
        byte[] probe = CreateProbe();
        byte[] buffer = new byte[2048];
        using var overall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        overall.CancelAfter(timeout);
        while (!overall.IsCancellationRequested)
        {
            try
            {
                await socket.SendToAsync(probe, SocketFlags.None, server, overall.Token).ConfigureAwait(false);
                using var round = CancellationTokenSource.CreateLinkedTokenSource(overall.Token);
                round.CancelAfter(every);
                while (true)
                {
                    SocketReceiveFromResult r = await socket.ReceiveFromAsync(buffer, SocketFlags.None,
                        new IPEndPoint(server.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0),
                        round.Token).ConfigureAwait(false);
                    if (IsVersionNegotiation(buffer.AsSpan(0, r.ReceivedBytes))) return true;
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested) { /* next round */ }
            catch (SocketException) { /* ICMP port unreachable before the server binds: try again */
                try { await Task.Delay(every, overall.Token).ConfigureAwait(false); } catch (OperationCanceledException) { }
            }
        }
        cancellationToken.ThrowIfCancellationRequested();
        return false;
    }
}
