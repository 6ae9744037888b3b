using Transport.Core.Time;

namespace Transport.Reliable.Recovery;

/// <summary>A packet the sender tracks until it is acknowledged or declared lost (RFC 9002 Appendix A.1.1).</summary>
/// <param name="PacketNumber">Its packet number.</param>
/// <param name="TimeSent">When it was sent.</param>
/// <param name="Size">Its size in bytes (sent_bytes).</param>
/// <param name="IsAckEliciting">True when it carried a frame that elicits an ACK.</param>
/// <param name="IsInFlight">True when it counts toward bytes in flight (ack-eliciting or padded).</param>
/// <param name="Payload">
/// The caller's handle for what the packet carried (for example the frames to retransmit if it is lost); opaque here.
/// </param>
/// <param name="Delivery">The delivery-rate snapshot taken when it was sent.</param>
/// <param name="IsPathMtuProbe">
/// True for a path MTU probe (RFC 8899, RFC 9000 §14.4): it counts in bytes in flight, but its loss is no congestion signal
/// (the controller is not told, it is no part of persistent congestion) and its spurious loss undoes nothing.
/// </param>
public readonly record struct SentPacket(
    long PacketNumber,
    Instant TimeSent,
    int Size,
    bool IsAckEliciting,
    bool IsInFlight,
    object? Payload,
    DeliverySnapshot Delivery,
    bool IsPathMtuProbe = false);
