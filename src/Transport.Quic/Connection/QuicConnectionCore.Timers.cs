using Transport.Core.Time;

namespace Transport.Quic.Connection;

// Deadlines (RFC 9000 §10.1, §13.2.1; RFC 9001 §6.5; RFC 9002 §6.2): one answer to "when should I call you next".
public sealed partial class QuicConnectionCore
{
    private Instant? _discardPreviousKeysAt;
    private Instant _lastActivity;
    private bool _keepAlivePending;

    /// <summary>
    /// A connection quiet this long after a burst gives back the sent-packet storage the burst grew (ring slots of about
    /// 100 bytes, free SentPacketInfo records of about 300): one wake-up per quiet spell, armed only while there is
    /// excess (an idle connection after its handshake has none, so it arms no timer). During a transfer nothing is
    /// trimmed, so the steady state allocates nothing.
    /// </summary>
    private static readonly TimeSpan StorageTrimDelay = TimeSpan.FromSeconds(5);

    /// <summary>
    /// When <see cref="HandleTimeout"/> must be called next (an instant at or before now means at once), or null when
    /// no timer is armed. Recompute after every call into the connection.
    /// </summary>
    public Instant? NextTimeout()
    {
        switch (_phase)
        {
            case ConnectionPhase.Terminated:
                return null;
            case ConnectionPhase.Closing:
            case ConnectionPhase.Draining:
                return _closePeriodEnd;
        }
        Instant? t = _idleDeadline;
        t = Earliest(t, _recovery.LossDetectionTimer);
        if (_addressValidated || AmplificationBudget >= Packets.InitialDatagramPadding.MinimumDatagramSize)
            foreach (var s in _spaces)
            {
                // 0-RTT packets are acknowledged in 1-RTT (RFC 9000 §12.5): no ACK deadline before 1-RTT can be sent.
                if (s.Id == Transport.Reliable.PacketNumberSpace.ApplicationData && !CanSendOneRtt) continue;
                if (!s.IsDiscarded) t = Earliest(t, s.Tracker.AckDeadline);
            }
        t = Earliest(t, _pacingWaitUntil);
        t = Earliest(t, _discardPreviousKeysAt);
        if (_paths.Count > 0) t = Earliest(t, NextPathTimeout());
        if (_options.KeepAliveInterval is { } k && _handshakeComplete && !_keepAlivePending) t = Earliest(t, _lastActivity + k);
        if (_recovery.HasExcessStorage || _infoPool.HasExcess) t = Earliest(t, _lastActivity + StorageTrimDelay);
        return t;
    }

    /// <summary>The armed deadlines, for test failure messages.</summary>
    internal string DescribeTimersForTesting() =>
        $"idle {_idleDeadline}, loss {_recovery.LossDetectionTimer}, pacing {_pacingWaitUntil}, key discard {_discardPreviousKeysAt}, " +
        $"ack {string.Join("/", _spaces.Select(s => s.IsDiscarded ? "-" : s.Tracker.AckDeadline?.ToString() ?? "none"))}, paths {_paths.Count}";

    /// <summary>Acts on every deadline that passed by <paramref name="now"/>: loss detection and probes, idle timeout, closing and draining periods, key discards, keep-alive, storage trimming after a quiet spell.</summary>
    public void HandleTimeout(Instant now)
    {
        try
        {
            HandleTimeoutCore(now);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            OnInternalError(ex);
        }
    }

    private void HandleTimeoutCore(Instant now)
    {
        Touch(now);
        if (_phase == ConnectionPhase.Terminated) return;
        if (_phase != ConnectionPhase.Open)
        {
            if (now >= _closePeriodEnd) Terminate();
            return;
        }
        if (_idleDeadline is { } idle && now >= idle)
        {
            OnIdleTimeout();
            return;
        }
        if (_recovery.LossDetectionTimer is { } loss && now >= loss) OnLossDetectionTimeout();
        if (_pacingWaitUntil is { } pacing && now >= pacing) _pacingWaitUntil = null;
        if (_paths.Count > 0) OnPathTimers(now);
        if (_discardPreviousKeysAt is { } discard && now >= discard)
        {
            _discardPreviousKeysAt = null;
            _oneRtt?.DiscardPreviousKeys(); // RFC 9001 §6.5
        }
        if (now >= _lastActivity + StorageTrimDelay)
        {
            if (_recovery.HasExcessStorage) _recovery.TrimExcess();
            if (_infoPool.HasExcess) _infoPool.TrimExcess();
        }
        if (_options.KeepAliveInterval is { } k && _handshakeComplete && now >= _lastActivity + k)
        {
            _keepAlivePending = true;
            _lastActivity = now;
        }
    }

    /// <summary>Free sent-packet records an idle connection keeps (about 320 bytes each): enough for a PING and its ACK.</summary>
    private const int IdleInfoRecords = 1;

    private bool _settledStorageTrimmed;

    /// <summary>
    /// Once per connection, at the first ACK that leaves nothing in flight after the handshake is confirmed and its spaces
    /// discarded (the post-handshake burst, HANDSHAKE_DONE, tickets, NEW_CONNECTION_IDs, acknowledged):
    /// gives back what the handshake's burst grew (sent-packet ring slots, free SentPacketInfo records), so a connection
    /// that then idles keeps about 2 KiB less without waiting for <see cref="StorageTrimDelay"/>. Later traffic regrows
    /// them once; a steady transfer never comes through here again, so its hot path is unchanged.
    /// </summary>
    private void TrimStorageOnceSettled()
    {
        if (_settledStorageTrimmed || !_handshakeConfirmed || !_spaces[1].IsDiscarded || _recovery.BytesInFlight > 0) return;
        _settledStorageTrimmed = true;
        _recovery.TrimIdleStorage();
        _infoPool.TrimTo(IdleInfoRecords);
    }

    private static Instant? Earliest(Instant? a, Instant? b) =>
        a is { } x ? (b is { } y ? Instant.Min(x, y) : x) : b;
}
