using Transport.Core.Wire;

namespace Transport.Quic.Connection;

/// <summary>Something the application or the endpoint must learn about, from <see cref="QuicConnectionCore.PollEvent"/>.</summary>
public readonly record struct ConnectionEvent
{
    /// <summary>What happened.</summary>
    public ConnectionEventKind Kind { get; init; }

    /// <summary>The stream concerned (stream events), else -1.</summary>
    public long StreamId { get; init; }

    /// <summary>The error code: RESET_STREAM / STOP_SENDING application code, or the CONNECTION_CLOSE code for <see cref="ConnectionEventKind.Closed"/>.</summary>
    public ulong ErrorCode { get; init; }

    /// <summary>For <see cref="ConnectionEventKind.Closed"/>: true when <see cref="ErrorCode"/> is an application code (frame 0x1d), false for a transport code (0x1c).</summary>
    public bool IsApplicationError { get; init; }

    /// <summary>For <see cref="ConnectionEventKind.Closed"/>: who or what closed the connection.</summary>
    public ConnectionCloseSource CloseSource { get; init; }

    /// <summary>For <see cref="ConnectionEventKind.Closed"/>: the reason phrase.</summary>
    public string? Reason { get; init; }

    /// <summary>For <see cref="ConnectionEventKind.DatagramReceived"/>: the datagram's bytes (a copy owned by the receiver).</summary>
    public byte[]? Data { get; init; }

    /// <summary>For the connection ID events: the connection ID.</summary>
    public ConnectionId ConnectionId { get; init; }

    /// <summary>For <see cref="ConnectionEventKind.ConnectionIdIssued"/>: the 16-byte stateless reset token of <see cref="ConnectionId"/>.</summary>
    public byte[]? StatelessResetToken { get; init; }

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        ConnectionEventKind.Closed => $"Closed({CloseSource}, {(IsApplicationError ? "app" : "transport")} 0x{ErrorCode:x}, {Reason})",
        ConnectionEventKind.DatagramReceived => $"DatagramReceived({Data?.Length} bytes)",
        _ when StreamId >= 0 => $"{Kind}(stream {StreamId}{(ErrorCode != 0 ? $", 0x{ErrorCode:x}" : "")})",
        _ => Kind.ToString(),
    };
}
