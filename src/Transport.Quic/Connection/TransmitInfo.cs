using System.Net;
using Transport.Core.Time;

namespace Transport.Quic.Connection;

/// <summary>Where and when to send the datagram that <see cref="QuicConnectionCore.PollTransmit"/> produced.</summary>
/// <param name="Destination">The peer's address.</param>
/// <param name="EarliestSendTime">
/// The pacer's release time (RFC 9002 §7.7): at or after the <c>now</c> passed to PollTransmit, and at most
/// <see cref="ConnectionOptions.PacingHorizon"/> later. A driver may send at once or hold the datagram until then.
/// </param>
/// <param name="Ecn">The ECN codepoint to set on the IP header: 2 (ECT(0)) while ECN is tested or validated, else 0 (Not-ECT) (RFC 9000 §13.4.2).</param>
public readonly record struct TransmitInfo(IPEndPoint Destination, Instant EarliestSendTime, byte Ecn)
{
    /// <summary>
    /// The local address to send from: null for the driver's default socket; set on the datagrams of a path the client
    /// probes or moved to with <see cref="QuicConnectionCore.TryMigrate"/>.
    /// </summary>
    public IPEndPoint? Source { get; init; }
}
