namespace Transport.Quic.Frames;

/// <summary>NEW_CONNECTION_ID (RFC 9000 §19.15): a connection ID the peer may use, with its stateless reset token.</summary>
public readonly ref struct NewConnectionIdFrame
{
    /// <summary>The length of a stateless reset token (RFC 9000 §10.3).</summary>
    public const int StatelessResetTokenLength = 16;

    /// <summary>Describes a NEW_CONNECTION_ID frame.</summary>
    public NewConnectionIdFrame(ulong sequenceNumber, ulong retirePriorTo, ReadOnlySpan<byte> connectionId, ReadOnlySpan<byte> statelessResetToken)
    {
        SequenceNumber = sequenceNumber;
        RetirePriorTo = retirePriorTo;
        ConnectionId = connectionId;
        StatelessResetToken = statelessResetToken;
    }

    /// <summary>The sequence number the sender assigned to the connection ID.</summary>
    public ulong SequenceNumber { get; }

    /// <summary>Connection IDs with a smaller sequence number should be retired; never above <see cref="SequenceNumber"/>.</summary>
    public ulong RetirePriorTo { get; }

    /// <summary>The new connection ID, 1 to 20 bytes.</summary>
    public ReadOnlySpan<byte> ConnectionId { get; }

    /// <summary>The 16-byte stateless reset token for the connection ID.</summary>
    public ReadOnlySpan<byte> StatelessResetToken { get; }
}
