using Transport.Quic.Frames;
using Transport.Reliable;
using Transport.Reliable.Recovery;
using ReliableAckRange = Transport.Reliable.Ack.AckRange;

namespace Transport.Quic.Connection;

// Acknowledgments, losses and probes (RFC 9002): the loss detector decides, this file acts on the packets' contents.
public sealed partial class QuicConnectionCore
{
    private const int MaxAckRangesProcessed = 256;
    // Scratch that does not outlive one call: one set per thread, not per connection (idle connections' memory).
    [ThreadStatic] private static ReliableAckRange[]? t_ackRanges;
    [ThreadStatic] private static SentPacket[]? t_outstanding;
    private bool _currentKeyPhaseAcked;
    private Transport.Core.Time.Instant _currentKeyPhaseAckedAt; // when the first packet of the current send key phase was acknowledged

    private bool OnAckFrame(PacketSpace space, AckFrame ack, ulong frameType)
    {
        int n = 0;
        // Per thread, at its bound from the start (4 KiB): growing it when an ACK first carried more ranges than any before
        // made a steady-state HandleDatagram allocate.
        var ackRanges = t_ackRanges ??= new ReliableAckRange[MaxAckRangesProcessed];
        foreach (var r in ack.Ranges)
        {
            if (n == MaxAckRangesProcessed) break; // lower ranges are simply not used (they were probably acknowledged before)
            ackRanges[n++] = new ReliableAckRange((long)r.Smallest, (long)r.Largest);
        }
        TimeSpan ackDelay = space.Id == PacketNumberSpace.ApplicationData
            ? ack.GetAckDelay(_peerParameters?.AckDelayExponent ?? Parameters.TransportParameters.DefaultAckDelayExponent)
            : TimeSpan.Zero;
        long ce = EcnCeForRecovery(ack); // QuicConnectionCore.Ecn.cs
        AckOutcome outcome = _recovery.OnAckReceived(space.Id, ackRanges.AsSpan(0, n), ackDelay, _now, ce);
        if (!outcome.IsSuccess)
        {
            var code = outcome.Error is ReliableError.AckRangeUnderflow or ReliableError.MalformedAckRanges
                ? TransportErrorCode.FrameEncodingError : TransportErrorCode.ProtocolViolation;
            CloseWithTransportError(code, frameType, $"Invalid ACK frame: {outcome.Error} (RFC 9000 §13.1, §19.3).");
            return false;
        }
        if (_qlog is not null) QlogRecovery(outcome.Lost, outcome.IsPersistentCongestion, outcome.IsEcnCongestion);
        ValidateEcn(space, ack, outcome); // RFC 9000 §13.4.2 (QuicConnectionCore.Ecn.cs)
        EcnOnLost(outcome.Lost);
        OnPathMtuOutcome(outcome.NewlyAcknowledged, outcome.Lost); // QuicConnectionCore.PathMtu.cs
        foreach (ref readonly var p in outcome.NewlyAcknowledged)
        {
            if (p.Payload is SentPacketInfo info)
            {
                if (info.Space == PacketNumberSpace.ApplicationData && _oneRtt is not null && info.KeyGeneration == _oneRtt.SendGeneration
                    && !_currentKeyPhaseAcked)
                {
                    _currentKeyPhaseAcked = true;
                    _currentKeyPhaseAckedAt = _now;
                }
                OnPacketAcknowledged(info);
                _infoPool.Return(info);
            }
        }
        if (outcome.Lost.Length > 0)
        {
            CountCongestionEvent(outcome.Lost);
            foreach (ref readonly var p in outcome.Lost)
            {
                if (p.Payload is SentPacketInfo info)
                {
                    RequeueContents(info);
                    _infoPool.Return(info);
                }
            }
        }
        _pacer.SetRate(_now, _recovery.CongestionController.PacingRate);
        if (!_settledStorageTrimmed) TrimStorageOnceSettled(); // QuicConnectionCore.Timers.cs
        return true;
    }

    /// <summary>What a packet carried arrived: stop tracking it (RFC 9000 §13.3).</summary>
    private void OnPacketAcknowledged(SentPacketInfo info)
    {
        var space = _spaces[(int)info.Space];
        foreach (ref readonly var f in info.Frames)
        {
            switch (f.Kind)
            {
                case SentFrameKind.Ack:
                    if (!space.IsDiscarded) space.Tracker.OnAckFrameAcknowledged(f.Value); // RFC 9000 §13.2.4
                    break;
                case SentFrameKind.Crypto:
                    if (!space.IsDiscarded)
                    {
                        space.CryptoSend.OnAcked(f.Offset, f.Length, f.Fin);
                        space.CryptoSend.ReleaseStorageIfAllAcknowledged(); // a ticket's chunk is not kept for the connection's life
                    }
                    break;
                case SentFrameKind.Stream:
                    if (_streams.TryGetValue(f.StreamId, out var s) && s.Send is { } send && !s.ResetSent)
                    {
                        long buffered = send.BufferedBytes;
                        send.OnAcked(f.Offset, f.Length, f.Fin);
                        // Only when the acknowledged prefix advanced (buffer space was freed): an earlier report for an
                        // out-of-order range must not use up the one a waiting writer needs.
                        if (!s.WritableReported && send.BufferedBytes < buffered)
                        {
                            s.WritableReported = true;
                            Emit(ConnectionEventKind.StreamWritable, s.Id);
                        }
                        CheckSendCompleted(s);
                        TryReleaseStream(s);
                    }
                    break;
                case SentFrameKind.ResetStream:
                    if (_streams.TryGetValue(f.StreamId, out var rs))
                    {
                        rs.ResetAcknowledged = true;
                        rs.ResetPending = false;
                        TryReleaseStream(rs);
                    }
                    break;
                case SentFrameKind.StopSending:
                    if (_streams.TryGetValue(f.StreamId, out var ss)) TryReleaseStream(ss);
                    break;
            }
        }
    }

    /// <summary>
    /// A packet was declared lost, or a probe resends it: its information goes out again in new frames, with current
    /// values (RFC 9000 §13.3). ACK, PADDING, PING and DATAGRAM frames are not retransmitted.
    /// </summary>
    private void RequeueContents(SentPacketInfo info)
    {
        if (info.Abandoned) return;
        _statPacketsRetransmitted++;
        var space = _spaces[(int)info.Space];
        foreach (ref readonly var f in info.Frames)
        {
            StreamState? s;
            switch (f.Kind)
            {
                case SentFrameKind.Crypto:
                    if (!space.IsDiscarded) space.CryptoSend.OnLost(f.Offset, f.Length, f.Fin);
                    break;
                case SentFrameKind.Stream:
                    if (_streams.TryGetValue(f.StreamId, out s) && s.Send is { } send && !s.ResetSent)
                    {
                        send.OnLost(f.Offset, f.Length, f.Fin);
                        Schedule(s);
                    }
                    break;
                case SentFrameKind.ResetStream:
                    if (_streams.TryGetValue(f.StreamId, out s) && !s.ResetAcknowledged)
                    {
                        s.ResetPending = true;
                        ScheduleControl(s);
                    }
                    break;
                case SentFrameKind.StopSending:
                    if (_streams.TryGetValue(f.StreamId, out s) && s.Receive is { } r && !r.IsAllDataReceived && !s.ResetReceived)
                    {
                        s.StopSendingPending = true;
                        ScheduleControl(s);
                    }
                    break;
                case SentFrameKind.MaxData:
                    _maxDataPending = true;
                    break;
                case SentFrameKind.MaxStreamData:
                    if (_streams.TryGetValue(f.StreamId, out s) && s.Receive is { } rr && !rr.IsAllDataReceived && !s.ResetReceived)
                    {
                        s.MaxStreamDataPending = true;
                        ScheduleControl(s);
                    }
                    break;
                case SentFrameKind.MaxStreamsBidi:
                    _maxStreamsBidiPending = true;
                    break;
                case SentFrameKind.MaxStreamsUni:
                    _maxStreamsUniPending = true;
                    break;
                case SentFrameKind.DataBlocked:
                    _connectionSendCredit.OnBlockedLost(f.Value);
                    break;
                case SentFrameKind.StreamDataBlocked:
                    if (_streams.TryGetValue(f.StreamId, out s)) s.SendCredit?.OnBlockedLost(f.Value);
                    break;
                case SentFrameKind.StreamsBlockedBidi:
                    if (GetAvailableStreamCount(true) <= 0) _streamsBlockedBidiPending = true;
                    break;
                case SentFrameKind.StreamsBlockedUni:
                    if (GetAvailableStreamCount(false) <= 0) _streamsBlockedUniPending = true;
                    break;
                case SentFrameKind.NewConnectionId:
                    if (_cids.FindLocal(f.Value) is not null) _cids.PendingNew.Enqueue(f.Value);
                    break;
                case SentFrameKind.RetireConnectionId:
                    _cids.PendingRetire.Enqueue(f.Value);
                    break;
                case SentFrameKind.HandshakeDone:
                    _handshakeDonePending = true;
                    break;
                case SentFrameKind.NewToken:
                    _newTokenPending = _newTokenToSend is not null; // lost: send the (latest) token again
                    break;
            }
        }
    }

    /// <summary>
    /// Counts a loss as a new congestion event only when a lost packet was sent after the previous event began: the
    /// once-per-recovery-period rule of RFC 9002 §7.3.2, so one burst of losses counts once, however many ACKs report it.
    /// </summary>
    private void CountCongestionEvent(ReadOnlySpan<SentPacket> lost)
    {
        foreach (ref readonly var p in lost)
        {
            if (p.IsPathMtuProbe) continue; // RFC 9000 §14.4: a lost PMTU probe is no congestion signal
            if (p.TimeSent > _statCongestionEventStart)
            {
                _statCongestionEvents++;
                _statCongestionEventStart = _now;
                return;
            }
        }
    }

    /// <summary>The loss detection timer fired (RFC 9002 §6.1.2, §6.2).</summary>
    private void OnLossDetectionTimeout()
    {
        TimeoutOutcome outcome = _recovery.OnLossDetectionTimeout(_now);
        if (_qlog is not null) QlogRecovery(outcome.Lost, outcome.IsPersistentCongestion, false);
        EcnOnLost(outcome.Lost);
        switch (outcome.Kind)
        {
            case LossDetectionTimeoutKind.LossTime:
                OnPathMtuOutcome(default, outcome.Lost); // QuicConnectionCore.PathMtu.cs
                CountCongestionEvent(outcome.Lost);
                foreach (ref readonly var p in outcome.Lost)
                {
                    if (p.Payload is SentPacketInfo info)
                    {
                        RequeueContents(info);
                        _infoPool.Return(info);
                    }
                }
                break;
            case LossDetectionTimeoutKind.ProbeTimeout:
            case LossDetectionTimeoutKind.AntiDeadlockProbe:
                _statProbeTimeouts++;
                var space = _spaces[(int)outcome.Space];
                if (space.IsDiscarded) break;
                if (outcome.Space == PacketNumberSpace.ApplicationData) OnPathMtuProbeTimeout(); // black hole? (QuicConnectionCore.PathMtu.cs)
                space.ProbesPending = Math.Max(space.ProbesPending, outcome.ProbeCount);
                // RFC 9002 §6.2.4: a probe should carry data; resend the oldest outstanding packets' contents (all of the
                // handshake data in Initial and Handshake, so the handshake completes even under heavy loss).
                var outstanding = t_outstanding ??= new SentPacket[4];
                int limit = outcome.Space == PacketNumberSpace.ApplicationData ? outcome.ProbeCount : outstanding.Length;
                int count = _recovery.CopyOutstandingPackets(outcome.Space, outstanding.AsSpan(0, Math.Min(limit, outstanding.Length)));
                for (int i = 0; i < count; i++)
                {
                    if (outstanding[i].IsAckEliciting && outstanding[i].Payload is SentPacketInfo info) RequeueContents(info);
                    outstanding[i] = default;
                }
                if (outcome.Space != PacketNumberSpace.ApplicationData && !space.CryptoSend.HasDataToSend)
                {
                    // Nothing outstanding in the window copied: requeue every crypto byte not yet acknowledged.
                    long acked = space.CryptoSend.AcknowledgedOffset, sent = space.CryptoSend.SentOffset;
                    if (sent > acked) space.CryptoSend.OnLost(acked, (int)(sent - acked), false);
                }
                break;
        }
    }
}
