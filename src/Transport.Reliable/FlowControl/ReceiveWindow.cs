using Transport.Core.Time;

namespace Transport.Reliable.FlowControl;

/// <summary>
/// The receiver's side of one flow-control limit, for a stream or the connection (RFC 9000 §4.1, §4.2): the maximum
/// advertised, the highest offset received, the bytes the application consumed; when to send MAX_DATA /
/// MAX_STREAM_DATA; and receive-window auto-tuning.
/// </summary>
/// <remarks>
/// <para>Window updates: when the advertised but unconsumed credit (<see cref="MaxData"/> - <see cref="Consumed"/>)
/// falls below half the window, the new limit is <see cref="Consumed"/> + <see cref="Window"/>.</para>
/// <para>Auto-tuning (in the style of Chromium's and quinn's): when an update is due and, since the previous update,
/// the application consumed at a pace that would use a whole window in less than two smoothed RTTs, the window is
/// too small to keep the sender busy; it doubles, up to <see cref="MaxWindow"/>. The first update only starts the
/// measurement. Time is passed in; nothing here
/// reads a clock. Not thread-safe.</para>
/// </remarks>
public sealed class ReceiveWindow
{
    private const long MaxVarInt = (1L << 62) - 1; // RFC 9000 §16: the largest limit MAX_DATA can carry

    private Instant _lastUpdateTime;
    private bool _hasLastUpdate;
    private long _consumedAtLastUpdate;

    /// <summary>Creates a window whose initial limit (the transport parameter advertised) is <paramref name="initialWindow"/>.</summary>
    /// <param name="initialWindow">The initial window and limit, e.g. initial_max_stream_data_bidi_remote.</param>
    /// <param name="maxWindow">The largest the window may grow to by auto-tuning (equal to <paramref name="initialWindow"/> turns tuning off).</param>
    /// <exception cref="ArgumentOutOfRangeException">A negative window, a maximum below the initial window or above 2^62 - 1.</exception>
    public ReceiveWindow(long initialWindow, long maxWindow)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(initialWindow);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxWindow, MaxVarInt);
        if (maxWindow < initialWindow)
            throw new ArgumentOutOfRangeException(nameof(maxWindow), $"The maximum window {maxWindow} is below the initial window {initialWindow}.");
        Window = initialWindow;
        MaxWindow = maxWindow;
        MaxData = initialWindow;
    }

    /// <summary>The current window: how much credit beyond <see cref="Consumed"/> an update advertises.</summary>
    public long Window { get; private set; }

    /// <summary>The largest <see cref="Window"/> may grow to.</summary>
    public long MaxWindow { get; }

    /// <summary>The limit advertised to the peer (the latest MAX_DATA / MAX_STREAM_DATA); it never decreases.</summary>
    public long MaxData { get; private set; }

    /// <summary>The highest offset (stream) or total of highest offsets (connection) received.</summary>
    public long HighestReceived { get; private set; }

    /// <summary>Bytes the application consumed (read, or released by a reset).</summary>
    public long Consumed { get; private set; }

    /// <summary>True when a window update is due: advertised but unconsumed credit is below half the window.</summary>
    public bool IsUpdateDue =>
        // credit < Window / 2 in exact arithmetic (so a 1-byte window still updates); nothing beyond the varint range.
        MaxData < MaxVarInt && MaxData - Consumed < Window - Window / 2;

    /// <summary>
    /// Stream level: data reached <paramref name="endOffset"/>. Returns <see cref="FlowControlResult.FlowControlError"/>
    /// (and changes nothing) when that is beyond <see cref="MaxData"/> (RFC 9000 §4.1).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative offset.</exception>
    public FlowControlResult OnReceived(long endOffset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(endOffset);
        if (endOffset > MaxData) return FlowControlResult.FlowControlError;
        if (endOffset > HighestReceived) HighestReceived = endOffset;
        return FlowControlResult.Ok;
    }

    /// <summary>
    /// Connection level: the highest offset of some stream moved by <paramref name="bytes"/> (see
    /// <c>ReceiveBuffer.Receive</c>'s highestOffsetIncrease). Returns <see cref="FlowControlResult.FlowControlError"/>
    /// (and changes nothing) when the total goes beyond <see cref="MaxData"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative bytes.</exception>
    public FlowControlResult OnReceivedBytes(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (bytes > MaxData - HighestReceived) return FlowControlResult.FlowControlError;
        HighestReceived += bytes;
        return FlowControlResult.Ok;
    }

    /// <summary>The application consumed <paramref name="bytes"/> more bytes (or a reset released them).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative bytes.</exception>
    /// <exception cref="InvalidOperationException">More bytes consumed than were received.</exception>
    public void OnConsumed(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (bytes > HighestReceived - Consumed)
            throw new InvalidOperationException($"Cannot consume {bytes} bytes: only {HighestReceived - Consumed} received and not yet consumed.");
        Consumed += bytes;
    }

    /// <summary>
    /// If a window update is due (<see cref="IsUpdateDue"/>), auto-tunes the window, raises <see cref="MaxData"/> to
    /// <see cref="Consumed"/> + <see cref="Window"/> and returns true with the limit to send in MAX_DATA /
    /// MAX_STREAM_DATA. If the frame is lost, send the then-current <see cref="MaxData"/> again (RFC 9000 §13.3).
    /// </summary>
    /// <param name="now">The current time.</param>
    /// <param name="smoothedRtt">The current smoothed RTT (RFC 9002 §5.3); zero disables tuning for this update.</param>
    /// <param name="maxData">The new limit to advertise.</param>
    public bool TryGetUpdate(Instant now, TimeSpan smoothedRtt, out long maxData)
    {
        maxData = MaxData;
        if (!IsUpdateDue) return false;

        if (_hasLastUpdate && smoothedRtt > TimeSpan.Zero && Window < MaxWindow)
        {
            long consumedSince = Consumed - _consumedAtLastUpdate;
            long elapsedTicks = Math.Max(0, (now - _lastUpdateTime).Ticks);
            // At this pace a whole window lasts elapsed * Window / consumedSince; grow if that is under 2 smoothed RTTs.
            if (consumedSince > 0 && (Int128)elapsedTicks * Window < (Int128)2 * smoothedRtt.Ticks * consumedSince)
                Window = Math.Min(MaxWindow, Window > MaxWindow / 2 ? MaxWindow : Window * 2);
        }

        _hasLastUpdate = true;
        _lastUpdateTime = now;
        _consumedAtLastUpdate = Consumed;
        MaxData = Consumed > MaxVarInt - Window ? MaxVarInt : Consumed + Window;
        maxData = MaxData;
        return true;
    }
}
