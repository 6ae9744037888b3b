using Transport.Core.Wire;
using Transport.Quic.Crypto;
using Transport.Quic.Frames;
using Transport.Quic.Packets;

namespace Transport.Quic.Endpoint;

/// <summary>
/// A server's stateless refusal of a client Initial (RFC 9000 §10.2.3, §8.1.2): one Initial packet, protected with the
/// Initial keys of the client's Destination Connection ID, carrying CONNECTION_CLOSE (type 0x1c) with CONNECTION_REFUSED
/// or INVALID_TOKEN. Its Destination Connection ID is the client's Source Connection ID; its Source Connection ID is
/// fresh random bytes (no connection exists). Not padded: it is not ack-eliciting (RFC 9000 §14.1), and it is far
/// smaller than the 1200-byte Initial it answers.
/// </summary>
internal static class InitialCloseBuilder
{
    private const int PacketNumberLength = 1;

    /// <summary>The largest packet this builder writes (the reason phrase is at most <see cref="MaxReasonLength"/> bytes).</summary>
    public const int MaximumLength = 1 + 4 + 1 + ConnectionId.MaxLength + 1 + 8 + 1 + 2 + PacketNumberLength + 3 + 8 + 2 + MaxReasonLength + PacketProtection.TagLength + 16;

    /// <summary>The longest reason phrase carried.</summary>
    public const int MaxReasonLength = 64;

    /// <summary>Writes the packet; false when <paramref name="destination"/> is too small or the header is not v1-shaped.</summary>
    public static bool TryWrite(Span<byte> destination, uint version, ReadOnlySpan<byte> clientDestinationConnectionId,
        ReadOnlySpan<byte> clientSourceConnectionId, TransportErrorCode error, ReadOnlySpan<byte> reason, out int written)
    {
        written = 0;
        if (!QuicVersion.IsSupported(version) || clientDestinationConnectionId.Length > ConnectionId.MaxLength
            || clientSourceConnectionId.Length > ConnectionId.MaxLength || destination.Length < MaximumLength) return false;
        if (reason.Length > MaxReasonLength) reason = reason.Slice(0, MaxReasonLength);
        var scid = ConnectionId.NewRandom(8);
        if (!LongHeaderBuilder.TryWrite(destination, PacketType.Initial, version, clientSourceConnectionId, scid.Span, default, 0,
                PacketNumberLength, out PacketHeaderLayout layout)) return false;
        var w = new SpanWriter(destination.Slice(layout.HeaderLength, destination.Length - layout.HeaderLength - PacketProtection.TagLength));
        if (!FrameWriter.TryWriteConnectionClose(ref w, error, 0, reason)) return false;
        // RFC 9001 §5.4.2: enough payload for the header-protection sample.
        int min = PacketProtection.MinimumPayloadLength(PacketNumberLength);
        while (w.Position < min) w.WriteByte(0); // PADDING
        int packetLength = layout.HeaderLength + w.Position + PacketProtection.TagLength;
        Span<byte> packet = destination.Slice(0, packetLength);
        LongHeaderBuilder.WriteLength(packet, layout, packetLength);
        InitialSecrets.CreateProtection(version, clientDestinationConnectionId, isServer: true, out var send, out var receive);
        using (send)
        using (receive)
            send.Seal(packet, layout.HeaderLength, layout.PacketNumberOffset, PacketNumberLength, 0);
        written = packetLength;
        return true;
    }
}
