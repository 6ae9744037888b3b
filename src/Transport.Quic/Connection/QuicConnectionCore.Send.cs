using Transport.Core.Time;
using Transport.Core.Wire;
using Transport.Quic.Crypto;
using Transport.Quic.Frames;
using Transport.Quic.Packets;
using Transport.Reliable;
using Transport.Reliable.Streams;

namespace Transport.Quic.Connection;

// Datagrams out (RFC 9000 §12.2, §13, §14; RFC 9002 §7): choose frames per space, coalesce, pad, protect, record.
public sealed partial class QuicConnectionCore
{
    private struct BuiltPacket
    {
        public PacketSpace Space;
        public SentPacketInfo? Info;
        public long PacketNumber;
        public int PacketNumberLength;
        public int HeaderLength;
        public int PayloadLength;
        public int Padding;
        public bool AckEliciting;
        public bool ZeroRtt;
        public bool PathMtuProbe; // QuicConnectionCore.PathMtu.cs
        public bool InPlace;      // the frames were written straight into the datagram, after the header (no copy)
    }

    // Frames are written here, then copied into the datagram, within one PollTransmit call: one set per thread, not per
    // connection (as fields they were 192 KiB of every connection's memory; bench tour, scale section).
    [ThreadStatic] private static byte[][]? t_payloadScratch;

    private static byte[][] PayloadScratch => t_payloadScratch ??= [new byte[65536], new byte[65536], new byte[65536]];
    private readonly BuiltPacket[] _built = new BuiltPacket[3];
    [ThreadStatic] private static AckRange[]? t_ackWriteRanges; // within one WriteAck: per thread, not per connection
    private long _amplificationBytesSent;
    private bool _ackElicitingSentSinceReceive;
    private Instant? _pacingWaitUntil;
    private bool _applicationLimited;

    /// <summary>
    /// Produces the next datagram to send into <paramref name="buffer"/> (at least 1200 bytes) and returns its length,
    /// or 0 when nothing may be sent now (nothing to send, congestion window full, pacing, anti-amplification limit, or
    /// closed); then wait for <see cref="NextTimeout"/> or new input. Call repeatedly until it returns 0.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="buffer"/> is shorter than 1200 bytes.</exception>
    public int PollTransmit(Instant now, Span<byte> buffer, out TransmitInfo info)
    {
        if (buffer.Length < InitialDatagramPadding.MinimumDatagramSize)
            throw new ArgumentException($"The transmit buffer must hold at least {InitialDatagramPadding.MinimumDatagramSize} bytes; got {buffer.Length}.", nameof(buffer));
        Touch(now);
        info = default;
        if (_phase is ConnectionPhase.Draining or ConnectionPhase.Terminated) return 0;
        if (_paths.Count > 0 && PollPathTransmit(buffer, out info) is int pathBytes and > 0) return pathBytes; // PATH_CHALLENGE / PATH_RESPONSE
        if (_pmtuPhase != PathMtuPhase.Waiting)
        {
            int probeBytes; // a PMTU probe, when one is due (QuicConnectionCore.PathMtu.cs)
            try
            {
                probeBytes = PollPathMtuProbe(buffer, out info);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                OnInternalError(ex);
                return 0;
            }
            if (probeBytes > 0) return probeBytes;
        }
        int limit = Math.Min(buffer.Length, _maxDatagramSize);
        if (!_addressValidated)
        {
            long budget = AmplificationBudget;
            if (budget < InitialDatagramPadding.MinimumDatagramSize)
            {
                UpdateAmplificationState();
                return 0;
            }
            if (budget < limit) limit = (int)budget;
        }
        byte ecn = PrepareEcnMarking(); // QuicConnectionCore.Ecn.cs
        Instant earliest = now;
        int n;
        try
        {
            n = _phase == ConnectionPhase.Closing ? BuildCloseDatagram(buffer.Slice(0, limit)) : BuildDatagram(buffer.Slice(0, limit), ref earliest);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            OnInternalError(ex);
            return 0;
        }
        if (n > 0)
        {
            _statBytesSent += n;
            _amplificationBytesSent += n;
            info = new TransmitInfo(RemoteEndPoint, earliest, ecn) { Source = _activePath?.Local };
        }
        ApplyPendingDiscards();
        UpdateAmplificationState();
        return n;
    }

    private int BuildDatagram(Span<byte> buffer, ref Instant earliest)
    {
        MaybeInitiateKeyUpdate();
        int limit = buffer.Length;
        bool probe = _spaces[0].ProbesPending > 0 || _spaces[1].ProbesPending > 0 || _spaces[2].ProbesPending > 0
            || _handshakePathChallengePending; // the first datagram to a followed address carries the challenge (Paths.cs)
        var cc = _recovery.CongestionController;
        bool windowAllows = probe || _recovery.BytesInFlight + limit <= cc.CongestionWindow; // RFC 9002 §7
        bool allowAckEliciting = windowAllows;
        if (allowAckEliciting && !probe)
        {
            // RFC 9002 §7.7: pace; a datagram may leave up to the horizon early, stamped with its release time.
            Instant release = _pacer.NextSendTime(_now, limit);
            if (release > _now + _options.PacingHorizon)
            {
                allowAckEliciting = false;
                _pacingWaitUntil = release - _options.PacingHorizon;
            }
            else if (release > _now)
            {
                earliest = release;
            }
        }

        int count = 0, used = 0;
        int paddingReserved = 0; // header-protection sample padding Assemble adds to packets already built
        bool anyAckEliciting = false;
        ConnectionId dcid = _cids.Current;
        ConnectionId scid = LocalConnectionId;
        for (int si = 0; si < 3; si++)
        {
            var space = _spaces[si];
            // RFC 9001 §4.6.1: a client sends application data in 0-RTT packets until the handshake completes.
            bool zeroRtt = si == 2 && CanSendEarlyData;
            if (si < 2 ? !space.HasSendKeys : !zeroRtt && !CanSendOneRtt) continue; // a server's 1-RTT may start before completion (0.5-RTT)
            long pn = space.NextPacketNumber;
            long largestAcked = _recovery.GetLargestAcknowledged(space.Id);
            int pnLength = PacketNumber.GetEncodedLength((ulong)pn, largestAcked >= 0 ? (ulong)largestAcked : null);
            int headerLength = zeroRtt
                ? LongHeaderBuilder.GetHeaderLength(PacketType.ZeroRtt, dcid.Length, scid.Length, 0, pnLength)
                : si == 2
                ? ShortHeaderBuilder.GetHeaderLength(dcid.Length, pnLength)
                : LongHeaderBuilder.GetHeaderLength(si == 0 ? PacketType.Initial : PacketType.Handshake, dcid.Length, scid.Length, si == 0 ? _retryToken.Length : 0, pnLength);
            int room = limit - used - paddingReserved - headerLength - TagLength - (si < 2 ? HandshakePathChallengeReserve(dcid.Length) : 0);
            if (room < 16) continue;
            var info = _infoPool.Rent(space.Id);
            info.EcnMarked = _ecnMarking;
            // A 1-RTT packet first in its datagram (the steady state: alone) is written where it will be sent: the stream
            // data is copied once, from the send buffer into the datagram. Others go through the scratch (a packet before
            // them may still grow by its sample padding); so does everything when qlog reads the frames back.
            bool inPlace = count == 0 && si == 2 && !zeroRtt && _qlog is null;
            Span<byte> frames = inPlace ? buffer.Slice(headerLength, room) : PayloadScratch[si].AsSpan(0, room);
            int length = WriteFrames(space, frames, allowAckEliciting, info, zeroRtt, out bool ackEliciting);
            if (length == 0)
            {
                _infoPool.Return(info);
                continue;
            }
            space.NextPacketNumber = pn + 1;
            if (info.EcnMarked) _ecnPacketsMarked++;
            _built[count++] = new BuiltPacket
            {
                Space = space, Info = info, PacketNumber = pn, PacketNumberLength = pnLength, HeaderLength = headerLength,
                PayloadLength = length, AckEliciting = ackEliciting, ZeroRtt = zeroRtt, InPlace = inPlace,
            };
            used += headerLength + length + TagLength;
            // RFC 9001 §5.4.2: a tiny packet (a lone ACK) is padded for the sample; later packets must leave room for it.
            paddingReserved += Math.Max(0, PacketProtection.MinimumPayloadLength(pnLength) - length);
            anyAckEliciting |= ackEliciting;
        }

        // RFC 9002 §7.8: application-limited when the window allowed more than there was to send.
        bool appLimited = windowAllows && allowAckEliciting && !anyAckEliciting;
        if (appLimited != _applicationLimited || appLimited)
        {
            if (appLimited != _applicationLimited) _recovery.IsApplicationLimited = appLimited;
            _applicationLimited = appLimited;
        }
        if (count == 0) return 0;

        bool initialAckEliciting = false, hasInitial = false;
        for (int i = 0; i < count; i++)
        {
            if (_built[i].Space.Id != PacketNumberSpace.Initial) continue;
            hasInitial = true;
            initialAckEliciting |= _built[i].AckEliciting;
        }
        int datagramTarget = hasInitial && InitialDatagramPadding.MustPad(!IsServer, initialAckEliciting) ? InitialDatagramPadding.MinimumDatagramSize : 0;
        int length2 = Assemble(buffer, count, used, datagramTarget, dcid, scid, track: true);

        if (anyAckEliciting)
        {
            _pacer.OnPacketSent(_now, length2);
            _lastActivity = _now;
            if (!_ackElicitingSentSinceReceive)
            {
                _ackElicitingSentSinceReceive = true;
                ResetIdleTimer(_now); // RFC 9000 §10.1
            }
        }
        return length2;
    }

    /// <summary>Pads, writes headers, copies payloads, protects and (when <paramref name="track"/>) records the built packets.</summary>
    private int Assemble(Span<byte> buffer, int count, int used, int datagramTarget, ConnectionId dcid, ConnectionId scid, bool track)
    {
        // RFC 9001 §5.4.2: packet number plus payload at least 4 bytes for the header-protection sample.
        for (int i = 0; i < count; i++)
        {
            ref var b = ref _built[i];
            int min = PacketProtection.MinimumPayloadLength(b.PacketNumberLength);
            if (b.PayloadLength < min)
            {
                b.Padding = min - b.PayloadLength;
                used += b.Padding;
            }
        }
        // RFC 9000 §14.1: datagrams with Initial packets reach 1200 bytes; the last packet takes the PADDING.
        if (used < datagramTarget) _built[count - 1].Padding += datagramTarget - used;

        int offset = 0;
        for (int i = 0; i < count; i++)
        {
            ref var b = ref _built[i];
            Span<byte> dest = buffer.Slice(offset);
            PacketHeaderLayout layout;
            bool isShort = b.Space.Id == PacketNumberSpace.ApplicationData && !b.ZeroRtt;
            if (b.ZeroRtt)
                LongHeaderBuilder.TryWrite(dest, PacketType.ZeroRtt, _originalVersion, /* RFC 9369 §4 */ dcid.Span, scid.Span, default, (ulong)b.PacketNumber, b.PacketNumberLength, out layout);
            else if (isShort)
                ShortHeaderBuilder.TryWrite(dest, dcid.Span, false, _oneRtt!.SendKeyPhase, (ulong)b.PacketNumber, b.PacketNumberLength, out layout);
            else
                LongHeaderBuilder.TryWrite(dest, b.Space.Id == PacketNumberSpace.Initial ? PacketType.Initial : PacketType.Handshake, Version,
                    dcid.Span, scid.Span, b.Space.Id == PacketNumberSpace.Initial ? _retryToken : default, (ulong)b.PacketNumber, b.PacketNumberLength, out layout);
            int payloadLength = b.PayloadLength + b.Padding;
            if (!b.InPlace) PayloadScratch[(int)b.Space.Id].AsSpan(0, b.PayloadLength).CopyTo(dest.Slice(layout.HeaderLength));
            else if (offset != 0 || layout.HeaderLength != b.HeaderLength) throw new InvalidOperationException("An in-place 1-RTT packet moved."); // BuildDatagram's layout
            dest.Slice(layout.HeaderLength + b.PayloadLength, b.Padding).Clear();
            int packetLength = layout.HeaderLength + payloadLength + TagLength;
            Span<byte> packet = dest.Slice(0, packetLength);
            if (isShort)
            {
                SealShortPacket(packet, offset, layout, b.PacketNumberLength, b.PacketNumber); // SendBatch.cs
                _packetsSentInKeyPhase++;
            }
            else
            {
                LongHeaderBuilder.WriteLength(packet, layout, packetLength);
                (b.ZeroRtt ? _zeroRttSendKeys! : b.Space.SendKeys!).Seal(packet, layout.HeaderLength, layout.PacketNumberOffset, b.PacketNumberLength, b.PacketNumber);
            }
            _statPacketsSent++;
            if (b.ZeroRtt) _statZeroRttPacketsSent++;
            if (track && b.Info is { } info)
            {
                if (isShort) info.KeyGeneration = _oneRtt!.SendGeneration;
                else if (b.ZeroRtt) info.KeyGeneration = -1;
                info.ZeroRtt = b.ZeroRtt;
                bool inFlight = b.AckEliciting || b.Padding > 0;
                _recovery.OnPacketSent(b.Space.Id, b.PacketNumber, _now, packetLength, b.AckEliciting, inFlight, info, b.PathMtuProbe);
                if (b.AckEliciting && b.Space.ProbesPending > 0) b.Space.ProbesPending--;
            }
            else if (b.Info is { } unused)
            {
                _infoPool.Return(unused);
            }
            // RFC 9001 §4.9.1: a client discards Initial keys when it first sends a Handshake packet.
            if (!IsServer && b.Space.Id == PacketNumberSpace.Handshake) _discardInitialPending = true;
            if (_qlog is not null) QlogPacketSent(in b, packetLength);
            b = default;
            offset += packetLength;
        }
        return offset;
    }

    private bool HasAckElicitingToSend(PacketSpace space)
    {
        if (space.ProbesPending > 0 || space.HasCryptoDataToSend) return true;
        if (space.Id != PacketNumberSpace.ApplicationData) return false;
        return _handshakeDonePending || _maxDataPending || _maxStreamsBidiPending || _maxStreamsUniPending || _streamsBlockedBidiPending
            || _streamsBlockedUniPending || _cids.PendingNew.Count > 0 || _cids.PendingRetire.Count > 0 || _controlQueue.Count > 0
            || _sendQueue.Count > 0 || _datagramQueue.Count > 0 || _keepAlivePending || _rawFramesForTesting.Count > 0 || _newTokenPending
            || _handshakePathChallengePending;
    }

    private int WriteFrames(PacketSpace space, Span<byte> destination, bool allowAckEliciting, SentPacketInfo info, bool zeroRtt, out bool ackEliciting)
    {
        var w = new SpanWriter(destination);
        var tracker = space.Tracker;
        bool sendOther = allowAckEliciting && HasAckElicitingToSend(space);
        // RFC 9000 §12.5: no ACK (nor CRYPTO, NEW_TOKEN, HANDSHAKE_DONE, PATH_RESPONSE, RETIRE_CONNECTION_ID) in 0-RTT.
        bool ackDue = tracker.HasNewPackets && tracker.IsAckDue(_now);
        bool wroteAck = !zeroRtt && tracker.HasNewPackets && (ackDue || sendOther) && WriteAck(space, ref w, info);
        int afterAck = w.Position;
        if (sendOther)
        {
            bool app = space.Id == PacketNumberSpace.ApplicationData;
            if (app && !zeroRtt) WriteHandshakePathChallenge(ref w); // RFC 9000 §9.3 (Paths.cs)
            if (app && !zeroRtt) WriteControlFrames(ref w, info);
            if (!zeroRtt) WriteCrypto(space, ref w, info);
            if (app)
            {
                WriteDatagrams(ref w, info);
                WriteStreams(ref w, info);
            }
            if (app && !zeroRtt) WriteRawFramesForTesting(ref w);
            if (w.Position == afterAck && (space.ProbesPending > 0 || (app && _keepAlivePending)))
            {
                FrameWriter.TryWritePing(ref w);
                info.Add(new SentFrame { Kind = SentFrameKind.Ping });
            }
            if (app && w.Position > afterAck) _keepAlivePending = false;
        }
        ackEliciting = w.Position > afterAck;
        if (wroteAck)
        {
            // An ACK that is not due rides only on an ack-eliciting packet: sending it alone (say the stream data that
            // made sendOther true is blocked by flow control) would answer a non-ack-eliciting packet with another,
            // and two such peers would trade ACK-only packets without end (RFC 9000 §13.2.1). It was written first:
            // drop the packet and leave the tracker as it was, the ACK deadline (if any) still armed.
            if (!ackEliciting && !ackDue)
            {
                info.Clear();
                return 0;
            }
            tracker.OnAckSent();
            if (space.Id == PacketNumberSpace.ApplicationData && info.Frames[0].Value > _largestAckSentInApplicationSpace)
                _largestAckSentInApplicationSpace = info.Frames[0].Value; // RFC 9001 §6.2 (QuicConnectionCore.KeyUpdate.cs)
        }
        return w.Position;
    }

    private bool WriteAck(PacketSpace space, ref SpanWriter w, SentPacketInfo info)
    {
        var tracker = space.Tracker;
        int n = 0;
        var ackWriteRanges = t_ackWriteRanges ??= new AckRange[64];
        foreach (var r in tracker.Ranges)
        {
            if (n == ackWriteRanges.Length) break;
            ackWriteRanges[n++] = new AckRange((ulong)r.Smallest, (ulong)r.Largest);
        }
        if (n == 0) return false;
        ulong delay = space.Id == PacketNumberSpace.ApplicationData
            ? FrameWriter.EncodeAckDelay(tracker.GetAckDelay(_now), _options.AckDelayExponent) : 0;
        ReadOnlySpan<AckRange> ranges = ackWriteRanges.AsSpan(0, n);
        EcnCounts? ecn = EcnCountsToSend(space); // ACK_ECN once anything was counted (RFC 9000 §13.4.1)
        int fit = FrameWriter.GetAckRangesThatFit(ranges, delay, ecn, w.Remaining);
        if (fit == 0) return false;
        FrameWriter.TryWriteAck(ref w, ranges.Slice(0, fit), delay, ecn);
        info.Add(new SentFrame { Kind = SentFrameKind.Ack, Value = (long)ranges[0].Largest });
        return true; // the caller calls tracker.OnAckSent() once it keeps the packet
    }

    private void WriteCrypto(PacketSpace space, ref SpanWriter w, SentPacketInfo info)
    {
        if (!space.HasCryptoDataToSend) return;
        var send = space.CryptoSend;
        while (send.HasDataToSend)
        {
            int max = w.Remaining - 1 - VarInt.GetLength((ulong)send.SentOffset) - 2;
            if (max <= 0 || !send.TryGetSegment(Math.Min(max, 16383), long.MaxValue, out StreamSegment seg)) break;
            FrameWriter.TryWriteCryptoFrameHeader(ref w, (ulong)seg.Offset, seg.Length);
            send.CopyTo(seg.Offset, w.Free.Slice(0, seg.Length));
            w.Advance(seg.Length);
            info.Add(new SentFrame { Kind = SentFrameKind.Crypto, Offset = seg.Offset, Length = seg.Length });
        }
    }

    private void WriteControlFrames(ref SpanWriter w, SentPacketInfo info)
    {
        if (_handshakeDonePending && FrameWriter.TryWriteHandshakeDone(ref w))
        {
            _handshakeDonePending = false;
            info.Add(new SentFrame { Kind = SentFrameKind.HandshakeDone });
        }
        WriteNewToken(ref w, info);
        if (_maxDataPending && FrameWriter.TryWrite(ref w, new MaxDataFrame((ulong)_connectionReceiveWindow.MaxData)))
        {
            _maxDataPending = false;
            info.Add(new SentFrame { Kind = SentFrameKind.MaxData, Value = _connectionReceiveWindow.MaxData });
        }
        if (_maxStreamsBidiPending && FrameWriter.TryWrite(ref w, new MaxStreamsFrame(true, (ulong)_localMaxStreamsBidi)))
        {
            _maxStreamsBidiPending = false;
            info.Add(new SentFrame { Kind = SentFrameKind.MaxStreamsBidi, Value = _localMaxStreamsBidi });
        }
        if (_maxStreamsUniPending && FrameWriter.TryWrite(ref w, new MaxStreamsFrame(false, (ulong)_localMaxStreamsUni)))
        {
            _maxStreamsUniPending = false;
            info.Add(new SentFrame { Kind = SentFrameKind.MaxStreamsUni, Value = _localMaxStreamsUni });
        }
        if (_streamsBlockedBidiPending && FrameWriter.TryWrite(ref w, new StreamsBlockedFrame(true, (ulong)_peerMaxStreamsBidi)))
        {
            _streamsBlockedBidiPending = false;
            info.Add(new SentFrame { Kind = SentFrameKind.StreamsBlockedBidi, Value = _peerMaxStreamsBidi });
        }
        if (_streamsBlockedUniPending && FrameWriter.TryWrite(ref w, new StreamsBlockedFrame(false, (ulong)_peerMaxStreamsUni)))
        {
            _streamsBlockedUniPending = false;
            info.Add(new SentFrame { Kind = SentFrameKind.StreamsBlockedUni, Value = _peerMaxStreamsUni });
        }
        while (_cids.PendingNew.TryPeek(out long seq))
        {
            var l = _cids.FindLocal(seq);
            if (l is null)
            {
                _cids.PendingNew.Dequeue();
                continue;
            }
            if (!FrameWriter.TryWrite(ref w, new NewConnectionIdFrame((ulong)seq, 0, l.Id.Span, l.Token))) break;
            _cids.PendingNew.Dequeue();
            info.Add(new SentFrame { Kind = SentFrameKind.NewConnectionId, Value = seq });
        }
        while (_cids.PendingRetire.TryPeek(out long seq) && FrameWriter.TryWrite(ref w, new RetireConnectionIdFrame((ulong)seq)))
        {
            _cids.PendingRetire.Dequeue();
            info.Add(new SentFrame { Kind = SentFrameKind.RetireConnectionId, Value = seq });
        }
        int streams = _controlQueue.Count;
        for (int i = 0; i < streams; i++)
        {
            var s = _controlQueue.Peek();
            if (!WriteStreamControl(s, ref w, info)) break;
            _controlQueue.Dequeue();
            _controlQueued.Remove(s);
            TryReleaseStream(s);
        }
    }

    /// <summary>Writes a stream's pending control frames; false when they did not all fit.</summary>
    private bool WriteStreamControl(StreamState s, ref SpanWriter w, SentPacketInfo info)
    {
        ulong id = (ulong)s.Id;
        if (s.ResetPending)
        {
            if (!FrameWriter.TryWrite(ref w, new ResetStreamFrame(id, s.ResetErrorCode, (ulong)s.ResetFinalSize))) return false;
            s.ResetPending = false;
            info.Add(new SentFrame { Kind = SentFrameKind.ResetStream, StreamId = s.Id });
        }
        if (s.StopSendingPending)
        {
            if (!FrameWriter.TryWrite(ref w, new StopSendingFrame(id, s.StopSendingErrorCode))) return false;
            s.StopSendingPending = false;
            info.Add(new SentFrame { Kind = SentFrameKind.StopSending, StreamId = s.Id });
        }
        if (s.MaxStreamDataPending)
        {
            if (s.ReceiveWindow is { } window && !s.ResetReceived && !(s.Receive?.IsAllDataReceived ?? true))
            {
                if (!FrameWriter.TryWrite(ref w, new MaxStreamDataFrame(id, (ulong)window.MaxData))) return false;
                info.Add(new SentFrame { Kind = SentFrameKind.MaxStreamData, StreamId = s.Id, Value = window.MaxData });
            }
            s.MaxStreamDataPending = false;
        }
        return true;
    }

    private void WriteStreams(ref SpanWriter w, SentPacketInfo info)
    {
        // Retransmissions first (RFC 9000 §13.3 leaves the order to us; lost data delays the peer's reads most), then
        // new data. Within each pass, urgency levels from the most urgent (SetStreamUrgency), and round-robin within a
        // level: a stream that sent goes to the back of the queue. Streams of other levels keep their queue order.
        int levels = 0;
        foreach (var q in _sendQueue) levels |= 1 << q.Urgency;
        for (int pass = 0; pass < 2; pass++)
        {
            for (int level = 0; level < 8 && w.Remaining > 8; level++)
            {
                if ((levels & (1 << level)) == 0) continue;
                int n = _sendQueue.Count;
                for (int i = 0; i < n && w.Remaining > 8; i++)
                {
                    var s = _sendQueue.Dequeue();
                    s.IsScheduled = false;
                    var send = s.Send;
                    if (send is null || s.ResetSent || !_streams.ContainsKey(s.Id) || !send.HasDataToSend) continue;
                    if (s.Urgency != level || pass == 0 && !send.HasRetransmission)
                    {
                        Schedule(s);
                        continue;
                    }
                    WriteStreamData(s, ref w, info);
                    if (send.HasDataToSend && !send.IsReset && (send.HasRetransmission || send.UnsentBytes > 0 && !s.SendCredit!.IsBlocked && !_connectionSendCredit.IsBlocked
                        || send.IsFinished && !send.IsFinSent)) Schedule(s);
                }
            }
        }
    }

    private void WriteStreamData(StreamState s, ref SpanWriter w, SentPacketInfo info)
    {
        var send = s.Send!;
        int remaining = w.Remaining;
        int header = 1 + VarInt.GetLength((ulong)s.Id) + VarInt.GetLength((ulong)send.SentOffset) + (remaining > 16383 ? 4 : 2);
        int max = remaining - header;
        if (max < 0) return;
        long sentBefore = send.SentOffset;
        if (!send.TryGetSegment(max, s.SendCredit!, _connectionSendCredit, out StreamSegment seg))
        {
            // Blocked by flow control with data waiting (RFC 9000 §4.1): say so once per limit.
            if (send.UnsentBytes > 0)
            {
                if (s.SendCredit!.TryGetBlocked(out long limit))
                {
                    if (FrameWriter.TryWrite(ref w, new StreamDataBlockedFrame((ulong)s.Id, (ulong)limit)))
                        info.Add(new SentFrame { Kind = SentFrameKind.StreamDataBlocked, StreamId = s.Id, Value = limit });
                    else s.SendCredit.OnBlockedLost(limit);
                }
                if (_connectionSendCredit.TryGetBlocked(out long connectionLimit))
                {
                    if (FrameWriter.TryWrite(ref w, new DataBlockedFrame((ulong)connectionLimit)))
                        info.Add(new SentFrame { Kind = SentFrameKind.DataBlocked, Value = connectionLimit });
                    else _connectionSendCredit.OnBlockedLost(connectionLimit);
                }
            }
            return;
        }
        FrameWriter.TryWriteStreamFrameHeader(ref w, (ulong)s.Id, (ulong)seg.Offset, seg.Length, seg.Fin, withLength: true);
        send.CopyTo(seg.Offset, w.Free.Slice(0, seg.Length));
        w.Advance(seg.Length);
        info.Add(new SentFrame { Kind = SentFrameKind.Stream, StreamId = s.Id, Offset = seg.Offset, Length = seg.Length, Fin = seg.Fin });
        if (seg.Offset < sentBefore) _statStreamBytesRetransmitted += seg.Length;
        else _statStreamBytesSent += seg.Length;
    }

    /// <summary>CONNECTION_CLOSE in every space with keys (RFC 9000 §10.2.3), not tracked for loss.</summary>
    private int BuildCloseDatagram(Span<byte> buffer)
    {
        if (!_closeSendPending) return 0;
        _closeSendPending = false;
        ConnectionId dcid = _cids.Current;
        ConnectionId scid = LocalConnectionId;
        int count = 0, used = 0;
        bool useOneRtt = _oneRtt is not null && _handshakeComplete;
        for (int si = 0; si < 3; si++)
        {
            var space = _spaces[si];
            if (si < 2 ? !space.HasSendKeys || (useOneRtt && _handshakeConfirmed) : !useOneRtt) continue;
            long pn = space.NextPacketNumber;
            int pnLength = 4;
            int headerLength = si == 2 ? ShortHeaderBuilder.GetHeaderLength(dcid.Length, pnLength)
                : LongHeaderBuilder.GetHeaderLength(si == 0 ? PacketType.Initial : PacketType.Handshake, dcid.Length, scid.Length, si == 0 ? _retryToken.Length : 0, pnLength);
            int room = buffer.Length - used - headerLength - TagLength;
            if (room < 16) continue;
            var w = new SpanWriter(PayloadScratch[si].AsSpan(0, room));
            bool wrote;
            if (_closeIsApplication && si < 2)
                wrote = FrameWriter.TryWriteConnectionClose(ref w, TransportErrorCode.ApplicationError, 0, default); // RFC 9000 §10.2.3
            else if (_closeIsApplication)
                wrote = FrameWriter.TryWriteApplicationClose(ref w, _closeErrorCode, _closeReason);
            else
                wrote = FrameWriter.TryWriteConnectionClose(ref w, (TransportErrorCode)_closeErrorCode, _closeFrameType, _closeReason);
            if (!wrote) continue;
            space.NextPacketNumber = pn + 1;
            _built[count++] = new BuiltPacket { Space = space, PacketNumber = pn, PacketNumberLength = pnLength, HeaderLength = headerLength, PayloadLength = w.Position };
            used += headerLength + w.Position + TagLength;
        }
        if (count == 0) return 0;
        bool hasInitial = _built[0].Space.Id == PacketNumberSpace.Initial;
        return Assemble(buffer, count, used, hasInitial && !IsServer ? InitialDatagramPadding.MinimumDatagramSize : 0, dcid, scid, track: false);
    }

    /// <summary>RFC 9001 §6: update the 1-RTT keys every so many packets, once confirmed and once the current phase was acknowledged.</summary>
    private void MaybeInitiateKeyUpdate()
    {
        if (_oneRtt is null) return;
        if (_oneRtt.SendGeneration != _sendGenerationSeen)
        {
            _sendGenerationSeen = _oneRtt.SendGeneration;
            _packetsSentInKeyPhase = 0;
            _currentKeyPhaseAcked = false;
        }
        if (!_handshakeConfirmed || !_currentKeyPhaseAcked || _oneRtt.IsKeyUpdatePending) return;
        // RFC 9001 §6.5: after the acknowledgment that confirms the previous update, wait three PTOs: the peer may still
        // hold the old keys in the slot the next phase needs (ngtcp2 drops such packets: "new key is not available").
        if (_oneRtt.SendGeneration > 0 && _now < _currentKeyPhaseAckedAt + ThreePto()) return;
        long interval = _options.KeyUpdateIntervalPackets;
        bool due = (interval > 0 && _packetsSentInKeyPhase >= interval)
            || _oneRtt.EncryptedPackets >= AeadLimits.ConfidentialityLimit(_oneRtt.CipherSuite) / 4 * 3; // RFC 9001 §6.6
        if (due && _oneRtt.TryInitiateKeyUpdate())
        {
            _sendGenerationSeen = _oneRtt.SendGeneration;
            _packetsSentInKeyPhase = 0;
            _currentKeyPhaseAcked = false;
            if (_qlog is not null) QlogKeyGenerations();
        }
    }

    private readonly Queue<byte[]> _rawFramesForTesting = new();

    /// <summary>Test hook: raw frame bytes to append, as they are, at the end of the next 1-RTT packet (to play a misbehaving peer).</summary>
    internal void SendRawFrameForTesting(byte[] frame) => _rawFramesForTesting.Enqueue(frame);

    private void WriteRawFramesForTesting(ref SpanWriter w)
    {
        while (_rawFramesForTesting.TryPeek(out byte[]? raw) && w.TryWriteBytes(raw)) _rawFramesForTesting.Dequeue();
    }

    private long _packetsSentInKeyPhase;
    private int _sendGenerationSeen;
}
