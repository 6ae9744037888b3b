using Transport.Core.Time;
using Transport.Reliable.Ack;
using Transport.Reliable.Congestion;

namespace Transport.Reliable.Recovery;

/// <summary>
/// Sent-packet tracking and loss detection for one connection path, across the three packet number spaces
/// (RFC 9002 §6 and Appendix A): acknowledgment processing, RTT sampling, packet- and time-threshold loss detection, the
/// loss detection / probe timeout timer, persistent congestion, bytes in flight and spurious-loss detection. It drives an
/// <see cref="ICongestionController"/> and a <see cref="DeliveryRateEstimator"/>.
/// </summary>
/// <remarks>
/// Sans-I/O: every call carries the current time; <see cref="LossDetectionTimer"/> says when to call
/// <see cref="OnLossDetectionTimeout"/>. Processing an ACK allocates nothing in steady state. Not thread-safe.
/// The spans of an <see cref="AckOutcome"/> or <see cref="TimeoutOutcome"/> live in buffers shared by every detector on
/// the calling thread: they are valid until the next <see cref="OnAckReceived"/> or <see cref="OnLossDetectionTimeout"/>
/// of any detector on that thread.
/// </remarks>
public sealed class LossDetector
{
    private const int SentRingFloor = 8; // slots a sent-packet ring keeps (SpaceRecoveryState starts it there)
    private const int NormalProbeCount = 2; // RFC 9002 §6.2.4: "MAY send up to two full-sized datagrams"

    private readonly SpaceRecoveryState[] _spaces = [new(), new(), new()];
    // The buffers an ACK or a timeout fills (what its outcome's spans show) do not outlive the call that returns them, so
    // they are shared by every detector on a thread instead of costing each connection about 9 KiB while it idles.
    [ThreadStatic] private static Scratch? t_scratch;
    private Instant? _firstRttSampleTime;
    private bool _hasReceivedHandshakeAck;
    private bool _isApplicationLimited;

    // Whether the window was the limit at any time during the last round trip (RFC 9002 §7.8, in the manner of Linux's
    // tcp_is_cwnd_limited): a "window" of sends ends when the packet sent last as it began (_cwndWindowEnd, in the
    // application data space) or a later one is acknowledged. Request/response traffic fills the window in bursts and drains it
    // between them; judging by the instant of each ACK alone would call nearly every ACK application-limited and let
    // the window shrink on every loss without ever growing back.
    private bool _cwndLimitedInWindow;
    private long _maxBytesInFlightInWindow;
    private long _cwndWindowEnd = -1;
    private int _largestInFlightPacket; // the window is full when another packet this large would not fit

    /// <summary>Creates a loss detector.</summary>
    /// <param name="controller">The congestion controller it drives.</param>
    /// <param name="isServer">True on the server (which matters for the anti-deadlock and anti-amplification rules).</param>
    /// <param name="initialRtt">The RTT assumed before the first sample; 333 ms by default (RFC 9002 §6.2.2).</param>
    /// <exception cref="ArgumentNullException"><paramref name="controller"/> is null.</exception>
    public LossDetector(ICongestionController controller, bool isServer, TimeSpan? initialRtt = null)
    {
        ArgumentNullException.ThrowIfNull(controller);
        CongestionController = controller;
        IsServer = isServer;
        Rtt = new RttEstimator(initialRtt);
    }

    /// <summary>The congestion controller driven by this detector.</summary>
    public ICongestionController CongestionController { get; private set; }

    /// <summary>The RTT estimator.</summary>
    public RttEstimator Rtt { get; }

    /// <summary>The delivery-rate estimator whose samples go into every <see cref="AckEvent"/>.</summary>
    public DeliveryRateEstimator DeliveryRate { get; } = new();

    /// <summary>True on the server.</summary>
    public bool IsServer { get; }

    /// <summary>The peer's max_ack_delay transport parameter (RFC 9000 §18.2); 25 ms until the parameters arrive.</summary>
    public TimeSpan MaxAckDelay { get; set; } = RecoveryConstants.DefaultMaxAckDelay;

    /// <summary>bytes_in_flight: the sum of the sizes of in-flight packets neither acknowledged nor declared lost.</summary>
    public long BytesInFlight { get; private set; }

    /// <summary>pto_count: consecutive probe timeouts without an acknowledgment (RFC 9002 §6.2.1).</summary>
    public int PtoCount { get; private set; }

    /// <summary>True once the handshake is confirmed (RFC 9001 §4.1.2).</summary>
    public bool IsHandshakeConfirmed { get; private set; }

    /// <summary>True once Handshake keys are available.</summary>
    public bool HasHandshakeKeys { get; private set; }

    /// <summary>True while a server may not send because of the anti-amplification limit (RFC 9000 §8.1).</summary>
    public bool IsAtAntiAmplificationLimit { get; private set; }

    /// <summary>
    /// True when the peer has validated this endpoint's address: always on the server; on the client once a Handshake ACK
    /// arrived or the handshake is confirmed (RFC 9002 Appendix A.6, PeerCompletedAddressValidation).
    /// </summary>
    public bool PeerCompletedAddressValidation => IsServer || _hasReceivedHandshakeAck || IsHandshakeConfirmed;

    /// <summary>When to call <see cref="OnLossDetectionTimeout"/>, or null when the timer is not armed (RFC 9002 §6.2).</summary>
    public Instant? LossDetectionTimer { get; private set; }

    /// <summary>Packets declared lost so far.</summary>
    public long LostPacketCount { get; private set; }

    /// <summary>Packets declared lost and later acknowledged (spurious losses) so far.</summary>
    public long SpuriousLossCount { get; private set; }

    /// <summary>
    /// Whether the sender is application-limited: set true when it stopped sending for lack of data although the window
    /// allowed more, false when the window was the limit. Setting true marks the delivery-rate "bubble"
    /// (<see cref="DeliveryRateEstimator.OnApplicationLimited"/>); the flag goes into every <see cref="AckEvent"/>
    /// (RFC 9002 §7.8).
    /// </summary>
    public bool IsApplicationLimited
    {
        get => _isApplicationLimited;
        set
        {
            _isApplicationLimited = value;
            if (value) DeliveryRate.OnApplicationLimited(BytesInFlight);
            else if (IsWindowFull) NoteCongestionWindowLimited(); // a pacer's wait with room in the window does not count
        }
    }

    /// <summary>
    /// True when the congestion window was the limit at some time during the last round trip (it had no room for another
    /// packet as large as the largest sent), or is the limit now (<see cref="IsApplicationLimited"/> is false: the window
    /// or the pacer holds data back); in slow start also when more than half the window was in flight (it should grow
    /// to twice what was used). Every <see cref="AckEvent"/> carries its negation as
    /// <see cref="AckEvent.IsWindowUnderutilized"/> (RFC 9002 §7.8), which NewReno and CUBIC use. (BBR keeps the
    /// instantaneous <see cref="AckEvent.IsApplicationLimited"/>: with this rule its harness goodput at 1 % loss on
    /// 100 Mbit/s, 50 ms fell from 91 % to 83 % of the bottleneck.)
    /// </summary>
    public bool IsCongestionWindowLimited
    {
        get
        {
            if (_cwndLimitedInWindow || !_isApplicationLimited) return true;
            var cc = CongestionController;
            return cc.State is CongestionState.SlowStart or CongestionState.ConservativeSlowStart or CongestionState.Startup
                && _maxBytesInFlightInWindow > cc.CongestionWindow / 2;
        }
    }

    private bool IsWindowFull => BytesInFlight + _largestInFlightPacket > CongestionController.CongestionWindow;

    private void NoteCongestionWindowLimited()
    {
        _cwndLimitedInWindow = true;
        _cwndWindowEnd = _spaces[(int)PacketNumberSpace.ApplicationData].LargestSent;
    }

    /// <summary>The largest packet number sent in <paramref name="space"/>, or -1.</summary>
    public long GetLargestSent(PacketNumberSpace space) => Space(space).LargestSent;

    /// <summary>The largest packet number the peer acknowledged in <paramref name="space"/>, or -1 (RFC 9002 A.3 largest_acked_packet).</summary>
    public long GetLargestAcknowledged(PacketNumberSpace space) => Space(space).LargestAcknowledged;

    /// <summary>Ack-eliciting packets in flight in <paramref name="space"/>.</summary>
    public int GetAckElicitingInFlight(PacketNumberSpace space) => Space(space).AckElicitingInFlight;

    /// <summary>Bytes in flight in <paramref name="space"/>.</summary>
    public long GetBytesInFlight(PacketNumberSpace space) => Space(space).BytesInFlight;

    /// <summary>When time-threshold loss detection will next declare a packet of <paramref name="space"/> lost, or null (RFC 9002 A.3 loss_time).</summary>
    public Instant? GetLossTime(PacketNumberSpace space) => Space(space).LossTime;

    /// <summary>True when <paramref name="space"/>'s keys were discarded (<see cref="DiscardSpace"/>).</summary>
    public bool IsDiscarded(PacketNumberSpace space) => Space(space).IsDiscarded;

    /// <summary>Packets of <paramref name="space"/> still tracked (outstanding, or resolved but not yet forgotten).</summary>
    public int GetTrackedPacketCount(PacketNumberSpace space) => Space(space).Sent.Count + Space(space).Lost.Count;

    /// <summary>True when <paramref name="packetNumber"/> of <paramref name="space"/> is outstanding: sent, neither acknowledged nor declared lost.</summary>
    public bool IsOutstanding(PacketNumberSpace space, long packetNumber)
    {
        var ring = Space(space).Sent;
        int i = ring.LowerBound(packetNumber);
        return i < ring.Count && ring[i].Packet.PacketNumber == packetNumber && ring[i].State == SentPacketState.Outstanding;
    }

    /// <summary>
    /// Copies the outstanding packets of <paramref name="space"/>, oldest first, into <paramref name="destination"/> (as many
    /// as fit) and returns how many were copied: what a probe should retransmit first (RFC 9002 §6.2.4), or what to release
    /// before discarding a space.
    /// </summary>
    public int CopyOutstandingPackets(PacketNumberSpace space, Span<SentPacket> destination)
    {
        var ring = Space(space).Sent;
        int n = 0;
        for (int i = 0; i < ring.Count && n < destination.Length; i++)
            if (ring[i].State == SentPacketState.Outstanding) destination[n++] = ring[i].Packet;
        return n;
    }

    /// <summary>Records a packet just sent (RFC 9002 Appendix A.5, OnPacketSent).</summary>
    /// <param name="space">Its packet number space.</param>
    /// <param name="packetNumber">Its packet number; larger than every packet number sent before in the space.</param>
    /// <param name="now">The send time.</param>
    /// <param name="size">Its size in bytes.</param>
    /// <param name="isAckEliciting">True when it carries an ack-eliciting frame.</param>
    /// <param name="isInFlight">True when it counts toward bytes in flight (every ack-eliciting or padded packet).</param>
    /// <param name="payload">The caller's handle for its content, handed back when it is acknowledged or lost.</param>
    /// <param name="isPathMtuProbe">
    /// True for a path MTU probe (RFC 9000 §14.4, RFC 8899): in flight like any packet, but its loss is not a congestion
    /// signal and it never sets the packet size the window-full test uses.
    /// </param>
    /// <exception cref="ArgumentException">
    /// The packet number does not increase, the size is negative, an ack-eliciting packet is said not to be in flight, or a
    /// path MTU probe is not ack-eliciting.
    /// </exception>
    /// <exception cref="InvalidOperationException">The space's keys were discarded.</exception>
    public void OnPacketSent(PacketNumberSpace space, long packetNumber, Instant now, int size, bool isAckEliciting, bool isInFlight,
        object? payload = null, bool isPathMtuProbe = false)
    {
        var s = Space(space);
        if (s.IsDiscarded) throw new InvalidOperationException($"The {space} packet number space was discarded; nothing more can be sent in it.");
        if (packetNumber <= s.LargestSent)
            throw new ArgumentException($"Packet number {packetNumber} must exceed the largest sent so far in {space} ({s.LargestSent}).", nameof(packetNumber));
        ArgumentOutOfRangeException.ThrowIfNegative(packetNumber);
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        if (isAckEliciting && !isInFlight)
            throw new ArgumentException("An ack-eliciting packet always counts as in flight (RFC 9002 §2).", nameof(isInFlight));
        if (isPathMtuProbe && !isAckEliciting)
            throw new ArgumentException("A path MTU probe must be ack-eliciting (RFC 8899 §4.1): its acknowledgment is the answer.", nameof(isPathMtuProbe));

        var snapshot = isInFlight ? DeliveryRate.OnPacketSent(now, BytesInFlight, size) : default;
        s.Sent.Add(new SentPacket(packetNumber, now, size, isAckEliciting, isInFlight, payload, snapshot, isPathMtuProbe));
        s.LargestSent = packetNumber;
        if (!isInFlight) return;

        // RFC 9002 A.5
        if (isAckEliciting)
        {
            s.TimeOfLastAckElicitingPacket = now;
            s.AckElicitingInFlight++;
        }
        s.BytesInFlight += size;
        BytesInFlight += size;
        if (size > _largestInFlightPacket && !isPathMtuProbe) _largestInFlightPacket = size;
        if (IsWindowFull) NoteCongestionWindowLimited();
        else if (!_cwndLimitedInWindow && BytesInFlight > _maxBytesInFlightInWindow)
        {
            _maxBytesInFlightInWindow = BytesInFlight; // Linux's max_packets_out: the window restarts at a new maximum
            _cwndWindowEnd = _spaces[(int)PacketNumberSpace.ApplicationData].LargestSent;
        }
        CongestionController.OnPacketSent(now, size, BytesInFlight);
        SetLossDetectionTimer(now);
    }

    /// <summary>Processes an ACK frame (RFC 9002 Appendix A.7, OnAckReceived).</summary>
    /// <param name="space">The packet number space the ACK frame arrived in.</param>
    /// <param name="ranges">The acknowledged ranges, largest first, disjoint (as <see cref="AckRangeEncoding"/> decodes them).</param>
    /// <param name="ackDelay">The ACK Delay field, decoded with the peer's ack_delay_exponent.</param>
    /// <param name="now">When the ACK arrived.</param>
    /// <param name="ecnCeCount">The frame's ECN-CE count, or -1 when it carried no ECN counts.</param>
    /// <returns>What the ACK did; on bad input an error, and no state changed.</returns>
    public AckOutcome OnAckReceived(PacketNumberSpace space, ReadOnlySpan<AckRange> ranges, TimeSpan ackDelay, Instant now,
        long ecnCeCount = -1)
    {
        var s = Space(space);
        var sc = t_scratch ??= new Scratch();
        sc.Reset();
        if (s.IsDiscarded) return default; // keys gone: nothing there to acknowledge (RFC 9002 §6.4)

        var error = Validate(s, ranges);
        if (error != ReliableError.None) return new AckOutcome { Error = error };
        if (ackDelay < TimeSpan.Zero) ackDelay = TimeSpan.Zero;

        long largestAcknowledged = ranges[0].Largest;
        if (largestAcknowledged > s.LargestAcknowledged) s.LargestAcknowledged = largestAcknowledged;
        if (space == PacketNumberSpace.Handshake) _hasReceivedHandshakeAck = true;

        long priorBytesInFlight = BytesInFlight;
        long bytesAcked = 0;
        bool includesAckEliciting = false;
        var ring = s.Sent;
        sc.EnsureCapacity(ring.Capacity, s.Lost.Capacity);

        // Ascending order: ranges from the smallest (last) up, packets within a range upward.
        for (int r = ranges.Length - 1; r >= 0; r--)
        {
            var range = ranges[r];
            for (int i = ring.LowerBound(range.Smallest); i < ring.Count; i++)
            {
                ref var slot = ref ring[i];
                if (slot.Packet.PacketNumber > range.Largest) break;
                if (slot.State != SentPacketState.Outstanding) continue;

                slot.State = SentPacketState.Acknowledged;
                ref readonly var p = ref slot.Packet;
                Append(ref sc.NewlyAcked, ref sc.NewlyAckedCount, p);
                if (p.IsAckEliciting) includesAckEliciting = true;
                if (p.IsInFlight)
                {
                    if (p.IsAckEliciting) s.AckElicitingInFlight--;
                    s.BytesInFlight -= p.Size;
                    BytesInFlight -= p.Size;
                    bytesAcked += p.Size;
                    Append(ref sc.AckedPackets, ref sc.AckedCount, new AckedPacket(p.PacketNumber, p.TimeSent, p.Size));
                    DeliveryRate.OnPacketAcked(p.PacketNumber, p.TimeSent, p.Size, p.Delivery, now);
                }
            }
        }

        // Packets declared lost, acknowledged after all: spurious losses (RFC 9002 §7.8 lets the controller undo).
        var lostRing = s.Lost;
        if (lostRing.Count > 0)
        {
            for (int r = ranges.Length - 1; r >= 0; r--)
            {
                var range = ranges[r];
                if (range.Largest < lostRing.FrontPacketNumber) continue;
                for (int i = lostRing.LowerBound(range.Smallest); i < lostRing.Count; i++)
                {
                    ref var slot = ref lostRing[i];
                    if (slot.Packet.PacketNumber > range.Largest) break;
                    if (slot.State != SentPacketState.Lost) continue;
                    slot.State = SentPacketState.Acknowledged;
                    Append(ref sc.Spurious, ref sc.SpuriousCount, slot.Packet);
                    SpuriousLossCount++;
                }
            }
        }

        for (int i = 0; i < sc.SpuriousCount; i++)
        {
            if (!sc.Spurious[i].IsInFlight || sc.Spurious[i].IsPathMtuProbe) continue;
            CongestionController.OnSpuriousCongestionEvent(now); // once per ACK, and only for losses that cost the window
            break;
        }

        if (sc.NewlyAckedCount == 0)
        {
            // RFC 9002 A.7: nothing newly acknowledged, nothing more to do.
            RemoveResolvedFront(s, now);
            return new AckOutcome { SpuriouslyLost = new ReadOnlySpan<SentPacket>(sc.Spurious, 0, sc.SpuriousCount) };
        }

        // RFC 9002 §5.1: an RTT sample when the largest acknowledged is newly acknowledged and at least one newly
        // acknowledged packet is ack-eliciting.
        ref readonly var largestNewly = ref sc.NewlyAcked[sc.NewlyAckedCount - 1];
        bool hasRttSample = false;
        if (largestNewly.PacketNumber == largestAcknowledged && includesAckEliciting)
        {
            var latestRtt = now - largestNewly.TimeSent;
            if (latestRtt < TimeSpan.Zero) latestRtt = TimeSpan.Zero;
            // RFC 9002 §5.3: Initial packets are not delayed by the peer, so their ACK delay is ignored.
            var effectiveAckDelay = space == PacketNumberSpace.Initial ? TimeSpan.Zero : ackDelay;
            Rtt.Update(latestRtt, effectiveAckDelay, IsHandshakeConfirmed, MaxAckDelay);
            _firstRttSampleTime ??= now;
            hasRttSample = true;
        }

        // RFC 9002 §7.1, A.7 ProcessECN: an increased ECN-CE count is a congestion signal.
        bool ecnCongestion = false;
        if (ecnCeCount > s.EcnCeCount)
        {
            s.EcnCeCount = ecnCeCount;
            ecnCongestion = true;
            CongestionController.OnCongestionEvent(now, new CongestionEvent
            {
                LargestSentTime = largestNewly.TimeSent,
                BytesInFlight = BytesInFlight,
                PriorBytesInFlight = BytesInFlight,
                IsEcn = true,
            });
        }

        bool persistent = DetectAndRemoveLostPackets(s, now, sc);

        RateSample sample = DeliveryRate.GenerateRateSample(Rtt.MinRtt);
        if (sc.AckedCount > 0)
        {
            var ack = new AckEvent
            {
                Packets = new ReadOnlySpan<AckedPacket>(sc.AckedPackets, 0, sc.AckedCount),
                BytesAcked = bytesAcked,
                PriorBytesInFlight = priorBytesInFlight,
                BytesInFlight = BytesInFlight,
                LatestRtt = hasRttSample ? Rtt.LatestRtt : TimeSpan.Zero,
                SmoothedRtt = Rtt.SmoothedRtt,
                MinRtt = Rtt.MinRtt,
                IsApplicationLimited = _isApplicationLimited,
                IsWindowUnderutilized = !IsCongestionWindowLimited,
                RateSample = sample,
            };
            CongestionController.OnAck(now, ack);
        }
        if (space == PacketNumberSpace.ApplicationData && largestNewly.PacketNumber >= _cwndWindowEnd)
        {
            // The last packet sent when the window began was acknowledged (Linux: snd_una reached cwnd_usage_seq): a new
            // window of sends starts now.
            _cwndLimitedInWindow = !_isApplicationLimited;
            _maxBytesInFlightInWindow = BytesInFlight;
            _cwndWindowEnd = s.LargestSent;
        }

        // RFC 9002 A.7: reset pto_count unless the client is unsure the server validated its address.
        if (PeerCompletedAddressValidation) PtoCount = 0;
        RemoveResolvedFront(s, now);
        SetLossDetectionTimer(now);

        return new AckOutcome
        {
            NewlyAcknowledged = new ReadOnlySpan<SentPacket>(sc.NewlyAcked, 0, sc.NewlyAckedCount),
            Lost = new ReadOnlySpan<SentPacket>(sc.Lost, 0, sc.LostCount),
            SpuriouslyLost = new ReadOnlySpan<SentPacket>(sc.Spurious, 0, sc.SpuriousCount),
            HasRttSample = hasRttSample,
            IsPersistentCongestion = persistent,
            IsEcnCongestion = ecnCongestion,
        };
    }

    /// <summary>
    /// The loss detection timer fired (RFC 9002 Appendix A.9, OnLossDetectionTimeout): either declares packets lost by the
    /// time threshold, or asks for probe packets. Does nothing when the timer is not armed or has not expired at
    /// <paramref name="now"/>.
    /// </summary>
    public TimeoutOutcome OnLossDetectionTimeout(Instant now)
    {
        var sc = t_scratch ??= new Scratch();
        sc.Reset();
        if (LossDetectionTimer is not { } timer || now < timer) return default;

        if (GetEarliestLossTime(out var lossSpace) is not null)
        {
            // RFC 9002 §6.1.2: time threshold loss detection.
            var s = Space(lossSpace);
            bool persistent = DetectAndRemoveLostPackets(s, now, sc);
            RemoveResolvedFront(s, now);
            SetLossDetectionTimer(now);
            return new TimeoutOutcome
            {
                Kind = LossDetectionTimeoutKind.LossTime,
                Space = lossSpace,
                Lost = new ReadOnlySpan<SentPacket>(sc.Lost, 0, sc.LostCount),
                IsPersistentCongestion = persistent,
            };
        }

        TimeoutOutcome outcome;
        if (!AnyAckElicitingInFlight())
        {
            // RFC 9002 §6.2.2.1: the client's anti-deadlock probe.
            outcome = new TimeoutOutcome
            {
                Kind = LossDetectionTimeoutKind.AntiDeadlockProbe,
                Space = HasHandshakeKeys ? PacketNumberSpace.Handshake : PacketNumberSpace.Initial,
                ProbeCount = 1,
            };
        }
        else
        {
            // RFC 9002 §6.2.4: send one or two ack-eliciting probes in the space whose PTO expired.
            GetPtoTimeAndSpace(now, out var ptoSpace);
            outcome = new TimeoutOutcome { Kind = LossDetectionTimeoutKind.ProbeTimeout, Space = ptoSpace, ProbeCount = NormalProbeCount };
        }
        PtoCount++;
        SetLossDetectionTimer(now);
        return outcome;
    }

    /// <summary>
    /// True when a burst left the sent-packet storage (about 100 bytes a slot) at more than four times what is tracked
    /// now, beyond a small floor: then <see cref="TrimExcess"/> has something to give back. Cheap (a few comparisons).
    /// </summary>
    public bool HasExcessStorage
    {
        get
        {
            foreach (var s in _spaces)
            {
                if (s.Sent.Capacity > SentRingFloor * 8 && s.Sent.Count * 4 <= s.Sent.Capacity) return true;
                if (s.Lost.Capacity > 16 && s.Lost.Count * 4 <= s.Lost.Capacity) return true;
            }
            return false;
        }
    }

    /// <summary>
    /// Shrinks the sent-packet storage to twice what is tracked now (see <see cref="HasExcessStorage"/>): for a connection
    /// that went quiet after a transfer. The next burst grows it again, so call it only after a quiet spell.
    /// </summary>
    public void TrimExcess()
    {
        foreach (var s in _spaces)
        {
            if (s.IsDiscarded) continue;
            s.Sent.TrimExcess(SentRingFloor);
            s.Lost.TrimExcess(0);
        }
    }

    /// <summary>
    /// Shrinks every sent-packet ring to twice what it tracks now (nothing at all when empty): for a connection whose
    /// handshake is over and that has nothing in flight, so its rings do not keep the slots the handshake's burst grew
    /// (about 90 bytes a slot). An emptied ring starts again at 4 slots when it next tracks a packet.
    /// </summary>
    public void TrimIdleStorage()
    {
        foreach (var s in _spaces)
        {
            if (s.IsDiscarded) continue;
            s.Sent.TrimExcess(0);
            s.Lost.TrimExcess(0);
        }
    }

    /// <summary>
    /// The keys of <paramref name="space"/> were discarded (RFC 9002 §6.4): its packets leave bytes in flight without
    /// being declared lost or acknowledged, its timers stop, and pto_count is reset.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="space"/> is the application data space, whose keys are never discarded this way.</exception>
    public void DiscardSpace(PacketNumberSpace space, Instant now)
    {
        if (space == PacketNumberSpace.ApplicationData)
            throw new ArgumentException("Only the Initial and Handshake packet number spaces are discarded (RFC 9002 §6.4).", nameof(space));
        var s = Space(space);
        if (s.IsDiscarded) return;
        BytesInFlight -= s.BytesInFlight;
        s.BytesInFlight = 0;
        // The space is never used again: its rings' storage (about 12 KiB per space) goes back too.
        s.Sent.ClearAndShrink();
        s.Lost.ClearAndShrink();
        s.AckElicitingInFlight = 0;
        s.LossTime = null;
        s.TimeOfLastAckElicitingPacket = null;
        s.IsDiscarded = true;
        PtoCount = 0;
        SetLossDetectionTimer(now);
    }

    /// <summary>
    /// The connection moved to a new path (RFC 9000 §9.4; RFC 9002 §5.3, Appendices A.3 and B.3): the congestion
    /// controller is replaced by <paramref name="controller"/> (in its initial state) and the RTT estimate returns to the
    /// initial RTT. Packets already sent stay tracked (their acknowledgments and losses now reach the new controller).
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="controller"/> is null.</exception>
    public void ResetForNewPath(ICongestionController controller, Instant now)
    {
        ArgumentNullException.ThrowIfNull(controller);
        CongestionController = controller;
        Rtt.Reset();
        _firstRttSampleTime = null;
        PtoCount = 0;
        SetLossDetectionTimer(now);
    }

    /// <summary>The handshake is confirmed (RFC 9001 §4.1.2): application data PTOs start, ACK delays are capped.</summary>
    public void OnHandshakeConfirmed(Instant now)
    {
        IsHandshakeConfirmed = true;
        SetLossDetectionTimer(now);
    }

    /// <summary>Handshake keys became available (the anti-deadlock probe moves to the Handshake space).</summary>
    public void OnHandshakeKeysAvailable(Instant now)
    {
        HasHandshakeKeys = true;
        SetLossDetectionTimer(now);
    }

    /// <summary>
    /// The server reached (or left) its anti-amplification limit (RFC 9000 §8.1); while at it, its timer is not armed
    /// (RFC 9002 §6.2.2.1).
    /// </summary>
    public void SetAntiAmplificationLimited(bool limited, Instant now)
    {
        IsAtAntiAmplificationLimit = limited;
        SetLossDetectionTimer(now);
    }

    private ReliableError Validate(SpaceRecoveryState s, ReadOnlySpan<AckRange> ranges)
    {
        if (ranges.IsEmpty) return ReliableError.MalformedAckRanges;
        for (int r = 0; r < ranges.Length; r++)
        {
            var range = ranges[r];
            if (range.Smallest < 0 || range.Smallest > range.Largest) return ReliableError.MalformedAckRanges;
            if (r > 0 && range.Largest >= ranges[r - 1].Smallest) return ReliableError.MalformedAckRanges;
        }
        if (ranges[0].Largest > s.LargestSent) return ReliableError.LargestAcknowledgedBeyondLargestSent;

        // RFC 9000 §13.1: every acknowledged packet number still tracked must be one we sent. Packet numbers below the
        // oldest tracked one were sent and resolved earlier (or skipped long ago: no longer knowable).
        var ring = s.Sent;
        if (ring.Count == 0) return ReliableError.None;
        long front = ring.FrontPacketNumber;
        for (int r = 0; r < ranges.Length; r++)
        {
            long lo = Math.Max(ranges[r].Smallest, front);
            long hi = ranges[r].Largest;
            if (lo > hi) break; // this and all smaller ranges lie below the tracked window
            int first = ring.LowerBound(lo);
            int end = ring.LowerBound(hi + 1);
            if (end - first != hi - lo + 1) return ReliableError.AckOfUnsentPacket;
        }
        return ReliableError.None;
    }

    /// <summary>
    /// RFC 9002 A.10 DetectAndRemoveLostPackets plus A.11 OnPacketsLost and §7.6 persistent congestion. Appends to the lost
    /// buffer, tells the controller, returns true when persistent congestion was established.
    /// </summary>
    private bool DetectAndRemoveLostPackets(SpaceRecoveryState s, Instant now, Scratch sc)
    {
        sc.EnsureLostCapacity(s.Sent.Capacity);
        s.LossTime = null;
        if (s.LargestAcknowledged < 0) return false;
        var lossDelay = Rtt.GetLossDelay();
        var ring = s.Sent;
        long largestAcknowledged = s.LargestAcknowledged;
        long priorBytesInFlight = BytesInFlight;
        long lostBytes = 0;
        Instant sentTimeOfLastLoss = default;
        bool anyInFlightLost = false;

        // Persistent congestion (RFC 9002 §7.6.2): two ack-eliciting packets lost, sent after the first RTT sample, more
        // than the persistent congestion duration apart, with no packet between them acknowledged.
        bool considerPersistent = _firstRttSampleTime.HasValue;
        var persistentDuration = considerPersistent ? Rtt.GetPersistentCongestionDuration(MaxAckDelay) : TimeSpan.Zero;
        Instant? runStart = null;
        bool persistent = false;

        for (int i = 0; i < ring.Count; i++)
        {
            ref var slot = ref ring[i];
            ref readonly var p = ref slot.Packet;
            if (p.PacketNumber > largestAcknowledged) break;
            if (slot.State == SentPacketState.Acknowledged)
            {
                runStart = null; // an acknowledged packet between two losses breaks the period
                continue;
            }
            if (slot.State == SentPacketState.Lost) continue; // declared lost earlier in this pass (cannot happen) or awaiting cleanup

            // RFC 9002 §6.1: lost by time threshold or by packet threshold. (The time comparison is written as an elapsed
            // time so it cannot saturate near the start of the timeline.)
            if (now - p.TimeSent >= lossDelay || largestAcknowledged >= p.PacketNumber + RecoveryConstants.PacketThreshold)
            {
                slot.State = SentPacketState.Lost; // leaves the front of Sent at cleanup: losses are a prefix of the outstanding packets
                s.Lost.Add(p);
                ref var lostSlot = ref s.Lost[s.Lost.Count - 1];
                lostSlot.State = SentPacketState.Lost;
                lostSlot.LostTime = now;
                Append(ref sc.Lost, ref sc.LostCount, p);
                LostPacketCount++;
                if (p.IsPathMtuProbe)
                {
                    // RFC 9000 §14.4: a lost PMTU probe says the packet was too big, not that the path is congested: it
                    // leaves bytes in flight, and neither the controller nor persistent congestion hears of it.
                    s.AckElicitingInFlight--;
                    s.BytesInFlight -= p.Size;
                    BytesInFlight -= p.Size;
                    continue;
                }
                if (p.IsInFlight)
                {
                    if (p.IsAckEliciting) s.AckElicitingInFlight--;
                    s.BytesInFlight -= p.Size;
                    BytesInFlight -= p.Size;
                    lostBytes += p.Size;
                    anyInFlightLost = true;
                    if (p.TimeSent > sentTimeOfLastLoss) sentTimeOfLastLoss = p.TimeSent;
                }
                if (considerPersistent && p.IsAckEliciting && p.TimeSent > _firstRttSampleTime!.Value)
                {
                    if (runStart is not { } start) runStart = p.TimeSent;
                    else if (p.TimeSent - start > persistentDuration) persistent = true;
                }
            }
            else
            {
                var lossTime = p.TimeSent + lossDelay;
                if (s.LossTime is not { } t || lossTime < t) s.LossTime = lossTime;
            }
        }

        if (!anyInFlightLost) return false;
        DeliveryRate.OnPacketsLost(lostBytes);
        CongestionController.OnCongestionEvent(now, new CongestionEvent
        {
            LargestSentTime = sentTimeOfLastLoss,
            LostBytes = lostBytes,
            BytesInFlight = BytesInFlight,
            PriorBytesInFlight = priorBytesInFlight,
            IsPersistentCongestion = persistent,
        });
        return persistent;
    }

    /// <summary>
    /// Forgets resolved packets: acknowledged or lost ones at the front of the sent packets (lost ones live on in the lost
    /// list), and lost ones kept long enough to recognise a late ACK.
    /// </summary>
    private void RemoveResolvedFront(SpaceRecoveryState s, Instant now)
    {
        var ring = s.Sent;
        while (ring.Count > 0 && ring[0].State != SentPacketState.Outstanding) ring.RemoveFront();

        var lost = s.Lost;
        if (lost.Count == 0) return;
        TimeSpan retention = Rtt.GetPersistentCongestionDuration(MaxAckDelay);
        while (lost.Count > 0 && (lost[0].State == SentPacketState.Acknowledged || now - lost[0].LostTime >= retention))
            lost.RemoveFront();
    }

    /// <summary>RFC 9002 A.8 SetLossDetectionTimer.</summary>
    private void SetLossDetectionTimer(Instant now)
    {
        if (GetEarliestLossTime(out _) is { } earliestLossTime)
        {
            LossDetectionTimer = earliestLossTime; // time threshold loss detection
            return;
        }
        if (IsServer && IsAtAntiAmplificationLimit)
        {
            LossDetectionTimer = null; // the server's timer is not set if nothing can be sent
            return;
        }
        if (!AnyAckElicitingInFlight() && PeerCompletedAddressValidation)
        {
            LossDetectionTimer = null; // nothing to detect lost, and no anti-deadlock need
            return;
        }
        LossDetectionTimer = GetPtoTimeAndSpace(now, out _);
    }

    /// <summary>RFC 9002 A.8 GetPtoTimeAndSpace.</summary>
    private Instant? GetPtoTimeAndSpace(Instant now, out PacketNumberSpace ptoSpace)
    {
        var duration = Rtt.GetProbeTimeout(MaxAckDelay, includeMaxAckDelay: false, PtoCount);
        if (!AnyAckElicitingInFlight())
        {
            // Anti-deadlock PTO starts from the current time (RFC 9002 §6.2.2.1).
            ptoSpace = HasHandshakeKeys ? PacketNumberSpace.Handshake : PacketNumberSpace.Initial;
            return now + duration;
        }

        Instant? ptoTimeout = null;
        ptoSpace = PacketNumberSpace.Initial;
        for (int i = 0; i < _spaces.Length; i++)
        {
            var s = _spaces[i];
            if (s.IsDiscarded || s.AckElicitingInFlight == 0) continue;
            var d = duration;
            if (i == (int)PacketNumberSpace.ApplicationData)
            {
                // RFC 9002 §6.2.1: no application data PTO before the handshake is confirmed; include max_ack_delay.
                if (!IsHandshakeConfirmed) return ptoTimeout;
                d = RttEstimator.AddSaturating(duration, RttEstimator.Backoff(MaxAckDelay, PtoCount));
            }
            var t = s.TimeOfLastAckElicitingPacket!.Value + d;
            if (ptoTimeout is not { } best || t < best)
            {
                ptoTimeout = t;
                ptoSpace = (PacketNumberSpace)i;
            }
        }
        return ptoTimeout;
    }

    private Instant? GetEarliestLossTime(out PacketNumberSpace space)
    {
        Instant? earliest = null;
        space = PacketNumberSpace.Initial;
        for (int i = 0; i < _spaces.Length; i++)
        {
            if (_spaces[i].LossTime is { } t && (earliest is not { } e || t < e))
            {
                earliest = t;
                space = (PacketNumberSpace)i;
            }
        }
        return earliest;
    }

    private bool AnyAckElicitingInFlight()
    {
        foreach (var s in _spaces)
            if (s.AckElicitingInFlight > 0) return true;
        return false;
    }

    private SpaceRecoveryState Space(PacketNumberSpace space)
    {
        if ((uint)space > (uint)PacketNumberSpace.ApplicationData)
            throw new ArgumentOutOfRangeException(nameof(space), space, "Not a packet number space.");
        return _spaces[(int)space];
    }

    /// <summary>
    /// The per-thread buffers behind an outcome's spans: acknowledged and lost packets of one call. Before a call fills
    /// them they are sized to its bound, the capacity of the space's rings (one ACK acknowledges or declares lost at most
    /// what Sent tracks; a spurious loss is in Lost), so they grow only when some connection's ring grew, which happens
    /// while it sends a burst, never later at an ACK that merely covers more packets than any before on this thread
    /// (growing by what one call appended made a steady-state ACK allocate at a new high-water mark).
    /// </summary>
    private sealed class Scratch
    {
        public AckedPacket[] AckedPackets = new AckedPacket[64];
        public int AckedCount;
        public SentPacket[] NewlyAcked = new SentPacket[64];
        public int NewlyAckedCount;
        public SentPacket[] Lost = new SentPacket[16];
        public int LostCount;
        public SentPacket[] Spurious = new SentPacket[8];
        public int SpuriousCount;

        /// <summary>At least <paramref name="sent"/> acknowledged or lost packets and <paramref name="lost"/> spurious ones fit (called with nothing appended yet).</summary>
        public void EnsureCapacity(int sent, int lost)
        {
            if (NewlyAcked.Length < sent) NewlyAcked = new SentPacket[Math.Max(sent, NewlyAcked.Length * 2)];
            if (AckedPackets.Length < sent) AckedPackets = new AckedPacket[Math.Max(sent, AckedPackets.Length * 2)];
            if (Lost.Length < sent) Lost = new SentPacket[Math.Max(sent, Lost.Length * 2)];
            if (Spurious.Length < lost) Spurious = new SentPacket[Math.Max(lost, Spurious.Length * 2)];
        }

        /// <summary>At least <paramref name="sent"/> lost packets fit (keeps those appended).</summary>
        public void EnsureLostCapacity(int sent)
        {
            if (Lost.Length < sent) Array.Resize(ref Lost, Math.Max(sent, Lost.Length * 2));
        }

        /// <summary>Forgets the previous call's packets (and the payload objects they name, which may belong to a connection that ended).</summary>
        public void Reset()
        {
            Array.Clear(NewlyAcked, 0, NewlyAckedCount);
            Array.Clear(Lost, 0, LostCount);
            Array.Clear(Spurious, 0, SpuriousCount);
            AckedCount = NewlyAckedCount = LostCount = SpuriousCount = 0;
        }
    }

    private static void Append<T>(ref T[] buffer, ref int count, in T item)
    {
        if (count == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
        buffer[count++] = item;
    }
}
