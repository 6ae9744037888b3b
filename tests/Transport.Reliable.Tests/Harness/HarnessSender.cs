using System.Net;
using Transport.Core.Simulation;
using Transport.Core.Time;
using Transport.Reliable.Ack;
using Transport.Reliable.Congestion;
using Transport.Reliable.FlowControl;
using Transport.Reliable.Recovery;
using Transport.Reliable.Streams;

namespace Transport.Reliable.Tests.Harness;

/// <summary>
/// The sending endpoint: one byte stream (<see cref="SendBuffer"/>) under the receiver's flow-control credit
/// (<see cref="SendCredit"/>), one packet number space of loss recovery (<see cref="LossDetector"/>) driving the
/// congestion controller under test, and a <see cref="Pacer"/>. It sends DATA packets (and BLOCKED packets when the
/// credit runs out, which also serve as PING when a probe has nothing else to carry) and reads ACK packets.
/// </summary>
internal sealed class HarnessSender
{
    private const int RefillChunk = 64 * 1024;
    private const long RefillTarget = 4L * 1024 * 1024; // keep this much unsent data written ahead when the source is endless

    private readonly HarnessOptions _options;
    private readonly NetworkSimulator _network;
    private readonly IPEndPoint _self;
    private readonly IPEndPoint _peer;
    private readonly int _mds;
    private readonly byte[] _packet;
    private readonly byte[] _fill = new byte[RefillChunk];
    private readonly AckRange[] _ranges = new AckRange[AckRangeSet.DefaultMaxRanges];
    private readonly SentPacket[] _oldest = new SentPacket[4];
    private long _nextPacketNumber;
    private int _probesPending;
    private Instant? _lastBlockedSent;

    public HarnessSender(HarnessOptions options, NetworkSimulator network, IPEndPoint self, IPEndPoint peer)
    {
        _options = options;
        _network = network;
        _self = self;
        _peer = peer;
        _mds = options.MaxDatagramSize;
        _packet = new byte[_mds];
        var inner = options.Algorithm == CongestionControlAlgorithm.Bbr
            // The factory seeds each BBR from a process-wide counter; a seed from the options keeps a run reproducible
            // whatever ran before it in the process.
            ? new Bbr(_mds, unchecked((ulong)(uint)options.Seed * 0x9E3779B97F4A7C15UL + 1))
            : CongestionControllerFactory.For(options.Algorithm).Create(_mds);
        Controller = new ObservedController(inner);
        Recovery = new LossDetector(Controller, isServer: true) { MaxAckDelay = options.MaxAckDelay };
        Recovery.OnHandshakeConfirmed(Instant.Zero); // no handshake here: application data PTOs apply from the start
        Credit = new SendCredit(options.InitialReceiveWindow);
        Pacer = new Pacer(_mds);
        Refill();
    }

    public ObservedController Controller { get; }
    public LossDetector Recovery { get; }
    public Pacer Pacer { get; }
    public SendBuffer Stream { get; } = new();
    public SendCredit Credit { get; }

    /// <summary>When the pacer will next allow a packet, if the last send attempt stopped for it.</summary>
    public Instant? PacerWake { get; private set; }

    /// <summary>
    /// When to probe the receiver's window again while blocked by flow control with nothing in flight (a persist timer,
    /// as TCP's zero-window probe): the window update travels on an ACK packet, which nobody acknowledges or repeats, so
    /// a lost one would otherwise leave both sides waiting forever. In QUIC the MAX_DATA frame itself is retransmitted.
    /// </summary>
    public Instant? PersistWake { get; private set; }

    public Instant? NextTimer => Min(Min(Recovery.LossDetectionTimer, PacerWake), PersistWake);

    public long PacketsSent { get; private set; }
    public long DataPacketsSent { get; private set; }
    public long BlockedPacketsSent { get; private set; }
    public long ProbePacketsSent { get; private set; }
    public long PayloadBytesSent { get; private set; }
    public long RetransmittedBytes { get; private set; }
    public long AcksReceived { get; private set; }
    public long MalformedPackets { get; private set; }
    public long RejectedAcks { get; private set; }
    public long ProbeTimeouts { get; private set; }
    public long PersistentCongestionEvents { get; private set; }

    /// <summary>A datagram from the receiver arrived.</summary>
    public void OnDatagram(Instant now, ReadOnlySpan<byte> datagram)
    {
        int count = HarnessFraming.TryReadAck(datagram, _ranges, out var ackDelay, out long maxData);
        if (count < 0)
        {
            MalformedPackets++;
            return;
        }
        AckRange[] ranges = _ranges;
        var outcome = Recovery.OnAckReceived(PacketNumberSpace.ApplicationData, ranges.AsSpan(0, count), ackDelay, now);
        if (!outcome.IsSuccess)
        {
            RejectedAcks++; // e.g. a corrupted ACK acknowledging a packet never sent (RFC 9000 §13.1)
            return;
        }
        AcksReceived++;
        Credit.OnMaxDataReceived(maxData);
        foreach (var p in outcome.NewlyAcknowledged)
            if (p.Payload is SentSegment s) Stream.OnAcked(s.Offset, s.Length, s.Fin);
        foreach (var p in outcome.SpuriouslyLost)
            if (p.Payload is SentSegment s) Stream.OnAcked(s.Offset, s.Length, s.Fin);
        foreach (var p in outcome.Lost)
            if (p.Payload is SentSegment s) Stream.OnLost(s.Offset, s.Length, s.Fin);
        if (outcome.IsPersistentCongestion) PersistentCongestionEvents++;
        Pacer.SetRate(now, Controller.PacingRate);
    }

    /// <summary>Fires the loss detection timer if it is due.</summary>
    public void OnTimer(Instant now)
    {
        if (Recovery.LossDetectionTimer is not { } timer || timer > now) return;
        var outcome = Recovery.OnLossDetectionTimeout(now);
        foreach (var p in outcome.Lost)
            if (p.Payload is SentSegment s) Stream.OnLost(s.Offset, s.Length, s.Fin);
        if (outcome.IsPersistentCongestion) PersistentCongestionEvents++;
        if (outcome.Kind is LossDetectionTimeoutKind.ProbeTimeout or LossDetectionTimeoutKind.AntiDeadlockProbe)
        {
            ProbeTimeouts++;
            _probesPending = Math.Max(_probesPending, outcome.ProbeCount);
        }
        Pacer.SetRate(now, Controller.PacingRate);
    }

    /// <summary>Sends what the window, the pacer and the credit allow.</summary>
    public void Poll(Instant now)
    {
        PacerWake = null;
        PersistWake = null;
        Refill();
        while (true)
        {
            bool probe = _probesPending > 0; // RFC 9002 §7.5: probes are not blocked by the congestion window
            if (!probe && Recovery.BytesInFlight + _mds > Controller.CongestionWindow)
            {
                Recovery.IsApplicationLimited = false; // the window is the limit (RFC 9002 §7.8)
                return;
            }
            bool hasData = HasSendableData();
            if (!hasData && !probe)
            {
                if (Stream.UnsentBytes > 0 && Credit.IsBlocked)
                {
                    if (Credit.TryGetBlocked(out long limit)) SendBlocked(now, limit);
                    else if (Recovery.BytesInFlight == 0)
                    {
                        var due = _lastBlockedSent!.Value + Recovery.Rtt.GetProbeTimeout(_options.MaxAckDelay, includeMaxAckDelay: true);
                        if (due <= now) SendBlocked(now, Credit.MaxData);
                        else PersistWake = due;
                    }
                }
                // Under-using the window for lack of data or credit: application-limited (RFC 9002 §7.8).
                Recovery.IsApplicationLimited = true;
                return;
            }
            if (!probe)
            {
                var next = Pacer.NextSendTime(now, _mds);
                if (next > now)
                {
                    PacerWake = next;
                    return;
                }
            }

            if (hasData) SendData(now);
            else if (!ResendOldestOutstanding(now)) SendBlocked(now, Credit.MaxData); // a PING in effect
            if (probe)
            {
                _probesPending--;
                ProbePacketsSent++;
            }
        }
    }

    private bool HasSendableData()
    {
        if (Stream.HasRetransmission) return true;
        if (Stream.SentOffset < Math.Min(Stream.WrittenOffset, Credit.MaxData)) return true;
        return Stream.IsFinished && !Stream.IsFinSent && Stream.SentOffset == Stream.FinalSize;
    }

    private void SendData(Instant now)
    {
        long pn = _nextPacketNumber;
        int room = _mds - HarnessFraming.DataHeaderLength(pn, Stream.WrittenOffset);
        long sentBefore = Stream.SentOffset;
        if (!Stream.TryGetSegment(room, Credit.MaxData, out var segment))
            throw new InvalidOperationException("The send buffer had data to send but handed out none.");
        long newBytes = Stream.SentOffset - sentBefore;
        if (newBytes > 0) Credit.OnSent(newBytes);
        else RetransmittedBytes += segment.Length;
        Transmit(now, segment);
    }

    /// <summary>A probe with no new or lost data re-sends the oldest outstanding segment (RFC 9002 §6.2.4).</summary>
    private bool ResendOldestOutstanding(Instant now)
    {
        int n = Recovery.CopyOutstandingPackets(PacketNumberSpace.ApplicationData, _oldest);
        for (int i = 0; i < n; i++)
        {
            if (_oldest[i].Payload is not SentSegment s) continue;
            long start = Math.Max(s.Offset, Stream.AcknowledgedOffset);
            if (start > s.End || (start == s.End && !s.Fin)) continue;
            // The new packet number may take a longer varint than the original: clip to what fits (the rest stays
            // outstanding in the original packet, and is requeued if that is declared lost).
            int room = _mds - HarnessFraming.DataHeaderLength(_nextPacketNumber, start);
            int length = (int)Math.Min(s.End - start, room);
            var segment = new StreamSegment(start, length, s.Fin && start + length == s.End);
            RetransmittedBytes += segment.Length;
            Transmit(now, segment);
            return true;
        }
        return false;
    }

    private void Transmit(Instant now, StreamSegment segment)
    {
        long pn = _nextPacketNumber++;
        int header = HarnessFraming.WriteDataHeader(_packet, pn, now.Ticks, segment.Offset, segment.Length, segment.Fin);
        Stream.CopyTo(segment.Offset, _packet.AsSpan(header, segment.Length));
        int size = header + segment.Length;
        Recovery.OnPacketSent(PacketNumberSpace.ApplicationData, pn, now, size, isAckEliciting: true, isInFlight: true,
            new SentSegment(segment.Offset, segment.Length, segment.Fin));
        Pacer.OnPacketSent(now, size);
        _network.Send(now, _self, _peer, _packet.AsSpan(0, size));
        PacketsSent++;
        DataPacketsSent++;
        PayloadBytesSent += segment.Length;
    }

    private void SendBlocked(Instant now, long limit)
    {
        long pn = _nextPacketNumber++;
        int size = HarnessFraming.WriteBlocked(_packet, pn, now.Ticks, limit);
        Recovery.OnPacketSent(PacketNumberSpace.ApplicationData, pn, now, size, isAckEliciting: true, isInFlight: true, payload: null);
        Pacer.OnPacketSent(now, size);
        _network.Send(now, _self, _peer, _packet.AsSpan(0, size));
        PacketsSent++;
        BlockedPacketsSent++;
        _lastBlockedSent = now;
    }

    /// <summary>Keeps the send buffer fed: the whole transfer (then FIN), or a few MB ahead for an endless source.</summary>
    private void Refill()
    {
        if (Stream.IsFinished) return;
        long total = _options.TransferBytes ?? long.MaxValue;
        while (Stream.UnsentBytes < RefillTarget && Stream.WrittenOffset < total)
        {
            int n = (int)Math.Min(RefillChunk, total - Stream.WrittenOffset);
            StreamPattern.Fill(Stream.WrittenOffset, _fill.AsSpan(0, n));
            Stream.Write(_fill.AsSpan(0, n));
        }
        if (Stream.WrittenOffset == total) Stream.Finish();
    }

    /// <summary>The sum of the sizes of the loss detector's outstanding in-flight packets.</summary>
    public long SumOfOutstandingInFlight()
    {
        var buffer = new SentPacket[Math.Max(1, Recovery.GetTrackedPacketCount(PacketNumberSpace.ApplicationData))];
        int n = Recovery.CopyOutstandingPackets(PacketNumberSpace.ApplicationData, buffer);
        long sum = 0;
        for (int i = 0; i < n; i++)
            if (buffer[i].IsInFlight) sum += buffer[i].Size;
        return sum;
    }

    private static Instant? Min(Instant? a, Instant? b) =>
        a is not { } x ? b : b is not { } y ? a : (x < y ? x : y);

    /// <summary>What a DATA packet carried, kept as the <see cref="SentPacket.Payload"/> to requeue or release.</summary>
    private sealed record SentSegment(long Offset, int Length, bool Fin)
    {
        public long End => Offset + Length;
    }
}
