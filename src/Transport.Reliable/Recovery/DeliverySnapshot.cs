using Transport.Core.Time;

namespace Transport.Reliable.Recovery;

/// <summary>
/// The connection's delivery state recorded in a packet when it was sent (draft-ietf-ccwg-bbr, "Delivery Rate Samples":
/// P.delivered, P.delivered_time, P.first_sent_time, P.is_app_limited, P.tx_in_flight, P.lost).
/// </summary>
/// <param name="Delivered">C.delivered when the packet was sent: bytes delivered so far.</param>
/// <param name="DeliveredTime">C.delivered_time when the packet was sent: when C.delivered last grew.</param>
/// <param name="FirstSentTime">C.first_sent_time when the packet was sent: the send time of the newest packet acknowledged then.</param>
/// <param name="IsApplicationLimited">True when the sender was application-limited when the packet was sent.</param>
/// <param name="TxInFlight">Bytes in flight just after the packet was sent (including it).</param>
/// <param name="Lost">C.lost when the packet was sent: bytes declared lost so far.</param>
public readonly record struct DeliverySnapshot(
    long Delivered,
    Instant DeliveredTime,
    Instant FirstSentTime,
    bool IsApplicationLimited,
    long TxInFlight,
    long Lost);
