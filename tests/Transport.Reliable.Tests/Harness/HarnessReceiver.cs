using System.Net;
using Transport.Core.Simulation;
using Transport.Core.Time;
using Transport.Reliable.Ack;
using Transport.Reliable.FlowControl;
using Transport.Reliable.Streams;

namespace Transport.Reliable.Tests.Harness;

/// <summary>
/// The receiving endpoint: packet numbers through a <see cref="ReceivedPacketTracker"/> (which says when an ACK is due,
/// RFC 9000 §13.2), the stream through a <see cref="ReceiveBuffer"/> under a <see cref="ReceiveWindow"/> (auto-tuned;
/// its limit rides on every ACK packet, and an ACK packet is also sent when only a window update is due), and an
/// application that reads in order, as fast as it can or at a set rate, checking every byte against
/// <see cref="StreamPattern"/>.
/// </summary>
internal sealed class HarnessReceiver
{
    private static readonly TimeSpan ReadTick = TimeSpan.FromMilliseconds(1);

    private readonly HarnessOptions _options;
    private readonly NetworkSimulator _network;
    private readonly IPEndPoint _self;
    private readonly IPEndPoint _peer;
    private readonly Func<TimeSpan> _smoothedRtt;
    private readonly TimeSpan _propagationDelay;
    private readonly byte[] _packet;
    private readonly byte[] _read = new byte[64 * 1024];
    private long _nextPacketNumber;
    private double _readBudget;
    private Instant _lastReadTime;
    private Instant? _nextReadTime;

    /// <param name="smoothedRtt">
    /// The RTT estimate for window auto-tuning. In QUIC both endpoints estimate the RTT from their own ACK-eliciting
    /// packets; this receiver sends only ACKs, which are never acknowledged, so it borrows the sender's estimate.
    /// </param>
    public HarnessReceiver(HarnessOptions options, NetworkSimulator network, IPEndPoint self, IPEndPoint peer, Func<TimeSpan> smoothedRtt)
    {
        _options = options;
        _network = network;
        _self = self;
        _peer = peer;
        _smoothedRtt = smoothedRtt;
        _propagationDelay = options.Forward.Delay;
        _packet = new byte[options.MaxDatagramSize];
        Tracker = new ReceivedPacketTracker(PacketNumberSpace.ApplicationData, options.MaxAckDelay);
        Window = new ReceiveWindow(options.InitialReceiveWindow, Math.Max(options.InitialReceiveWindow, options.MaxReceiveWindow));
    }

    public ReceivedPacketTracker Tracker { get; }
    public ReceiveBuffer Stream { get; } = new();
    public ReceiveWindow Window { get; }

    /// <summary>Queueing delay of every DATA packet received (one-way delay minus the link's propagation delay), ms.</summary>
    public List<float> QueueingDelaysMs { get; } = new();

    public long DataPacketsReceived { get; private set; }
    public long DuplicatePackets { get; private set; }
    public long MalformedPackets { get; private set; }
    public long AcksSent { get; private set; }
    public long WindowUpdatesSent { get; private set; }
    public long PatternErrors { get; private set; }
    public long FirstPatternErrorOffset { get; private set; } = -1;
    public ReceiveResult StreamError { get; private set; } = ReceiveResult.Ok;
    public long FinPacketsReceived { get; private set; }

    /// <summary>When the application read the last byte up to the FIN, or null.</summary>
    public Instant? FinishedAt { get; private set; }

    /// <summary>Bytes the application read, in order.</summary>
    public long Delivered => Stream.ReadOffset;

    public Instant? NextTimer => Min(Tracker.AckDeadline, _nextReadTime);

    public void OnDatagram(Instant now, ReadOnlySpan<byte> datagram)
    {
        if (!HarnessFraming.TryReadData(datagram, out var h))
        {
            MalformedPackets++;
            return;
        }
        if (!Tracker.OnPacketReceived(h.PacketNumber, isAckEliciting: true, now))
        {
            DuplicatePackets++; // a duplicated datagram, or too old to tell (RFC 9000 §13.2.3)
            return;
        }
        if (h.Type == HarnessFraming.TypeBlocked) return; // only asks for an ACK, which carries the current limit

        DataPacketsReceived++;
        if (h.Fin) FinPacketsReceived++;
        // One-way delay above the propagation delay: queueing at the bottleneck plus this packet's own serialization.
        var oneWay = now - Instant.FromTicks(h.SentTicks);
        QueueingDelaysMs.Add((float)(oneWay - _propagationDelay).TotalMilliseconds);

        var data = datagram.Slice(h.HeaderLength, h.Length);
        var result = Stream.Receive(h.Offset, data, h.Fin, Window.MaxData);
        if (result != ReceiveResult.Ok)
        {
            if (StreamError == ReceiveResult.Ok) StreamError = result;
            return;
        }
        Window.OnReceived(h.Offset + h.Length);
        ReadApplication(now);
    }

    /// <summary>Lets the application read, then sends an ACK if one is due or a window update is.</summary>
    public void Poll(Instant now)
    {
        ReadApplication(now);
        if (Tracker.IsAckDue(now) || Window.IsUpdateDue) SendAck(now);
    }

    private void ReadApplication(Instant now)
    {
        double rate = _options.ReadRateBytesPerSecond;
        if (rate > 0)
        {
            _readBudget = Math.Min(_readBudget + rate * (now - _lastReadTime).TotalSeconds, Math.Max(rate * 0.01, _read.Length));
            _lastReadTime = now;
        }
        while (Stream.ReadableBytes > 0)
        {
            int want = _read.Length;
            if (rate > 0)
            {
                want = (int)Math.Min(want, _readBudget);
                if (want <= 0) break;
            }
            long offset = Stream.ReadOffset;
            int n = Stream.Read(_read.AsSpan(0, want));
            if (n == 0) break;
            if (rate > 0) _readBudget -= n;
            int bad = StreamPattern.FirstMismatch(offset, _read.AsSpan(0, n));
            if (bad >= 0)
            {
                PatternErrors++;
                if (FirstPatternErrorOffset < 0) FirstPatternErrorOffset = offset + bad;
            }
            Window.OnConsumed(n);
        }
        _nextReadTime = rate > 0 && Stream.ReadableBytes > 0 ? now + ReadTick : null;
        if (FinishedAt is null && Stream.IsFinished) FinishedAt = now;
    }

    private void SendAck(Instant now)
    {
        if (Window.TryGetUpdate(now, _smoothedRtt(), out _)) WindowUpdatesSent++;
        if (Tracker.Ranges.IsEmpty) return;
        int size = HarnessFraming.WriteAck(_packet, _nextPacketNumber++, Tracker.GetAckDelay(now), Window.MaxData, Tracker.Ranges);
        Tracker.OnAckSent();
        _network.Send(now, _self, _peer, _packet.AsSpan(0, size));
        AcksSent++;
    }

    private static Instant? Min(Instant? a, Instant? b) =>
        a is not { } x ? b : b is not { } y ? a : (x < y ? x : y);
}
