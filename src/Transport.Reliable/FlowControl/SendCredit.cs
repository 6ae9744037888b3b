namespace Transport.Reliable.FlowControl;

/// <summary>
/// The sender's view of one flow-control limit, for a stream (MAX_STREAM_DATA) or the connection (MAX_DATA)
/// (RFC 9000 §4.1): the peer's maximum, the bytes sent against it, and when to report being blocked.
/// </summary>
/// <remarks>
/// For a stream, <see cref="Sent"/> is the highest offset sent; for the connection, the sum of those over all streams.
/// Retransmissions consume no credit. Not thread-safe.
/// </remarks>
public sealed class SendCredit
{
    private long _blockedReportedAt = -1;

    /// <summary>Creates the credit with the limit from the peer's transport parameters (e.g. initial_max_data).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="initialMaxData"/> is negative.</exception>
    public SendCredit(long initialMaxData)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(initialMaxData);
        MaxData = initialMaxData;
    }

    /// <summary>The peer's current limit: bytes (or the stream offset) it allows us to send.</summary>
    public long MaxData { get; private set; }

    /// <summary>Bytes sent against the limit.</summary>
    public long Sent { get; private set; }

    /// <summary>Credit left: <see cref="MaxData"/> - <see cref="Sent"/>.</summary>
    public long Available => MaxData - Sent;

    /// <summary>True when no credit is left.</summary>
    public bool IsBlocked => Sent >= MaxData;

    /// <summary>
    /// Handles MAX_DATA / MAX_STREAM_DATA (or the initial transport parameter). A value that does not raise the limit is
    /// ignored (RFC 9000 §4.1: frames may arrive out of order). Returns true when the limit rose.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxData"/> is negative (a varint never is).</exception>
    public bool OnMaxDataReceived(long maxData)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxData);
        if (maxData <= MaxData) return false;
        MaxData = maxData;
        return true;
    }

    /// <summary>Charges <paramref name="bytes"/> newly sent bytes against the credit.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative bytes.</exception>
    /// <exception cref="InvalidOperationException">More than <see cref="Available"/>: the caller would break the peer's limit.</exception>
    public void OnSent(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (bytes > Available)
            throw new InvalidOperationException($"Sending {bytes} bytes would exceed the peer's flow-control limit: {Available} of {MaxData} left.");
        Sent += bytes;
    }

    /// <summary>
    /// Call when data waits that the credit does not allow. Returns true, with the limit to report in DATA_BLOCKED /
    /// STREAM_DATA_BLOCKED (RFC 9000 §4.1, §19.12), once per limit: false while credit is left or this limit was
    /// already reported.
    /// </summary>
    public bool TryGetBlocked(out long limit)
    {
        limit = MaxData;
        if (!IsBlocked || _blockedReportedAt == MaxData) return false;
        _blockedReportedAt = MaxData;
        return true;
    }

    /// <summary>A DATA_BLOCKED / STREAM_DATA_BLOCKED frame reporting <paramref name="limit"/> was lost: report again if still blocked there.</summary>
    public void OnBlockedLost(long limit)
    {
        if (limit == _blockedReportedAt) _blockedReportedAt = -1;
    }
}
