using System.Net;

namespace Transport.Core.Udp;

/// <summary>
/// What a <see cref="UdpReceiveLoop"/> hands each received datagram to, on its receive thread. Implementations must
/// not keep the spans or the <see cref="SocketAddress"/> past the call: both are reused for the next datagram.
/// </summary>
public interface IDatagramReceiver
{
    /// <summary>One datagram from <paramref name="remote"/>. Exceptions thrown here stop the loop (see <see cref="UdpReceiveLoop.Completion"/>).</summary>
    void OnDatagram(ReadOnlySpan<byte> datagram, SocketAddress remote, DatagramMetadata metadata);

    /// <summary>
    /// Called after the datagrams of one wakeup were delivered, before the loop waits again: the place to flush
    /// replies built while handling them. Does nothing by default.
    /// </summary>
    void OnBatchCompleted() { }

    /// <summary>
    /// Consulted on the receive thread after <see cref="OnBatchCompleted"/> when the loop's
    /// <see cref="UdpReceiveLoop.SpinTime"/> is set: false skips that spin and the loop blocks at once (nothing is
    /// expected soon, e.g. no connections). True by default.
    /// </summary>
    bool SpinAllowed => true;
}
