using System.Net;
using Transport.Core.Simulation;
using Transport.Core.Time;

namespace Transport.Reliable.Tests.Harness;

/// <summary>
/// Runs one transfer from a <see cref="HarnessSender"/> to a <see cref="HarnessReceiver"/> over a
/// <see cref="NetworkSimulator"/> in virtual time. Each step advances the clock to the earliest of the next delivery,
/// the sender's loss-detection timer or pacer wake-up, and the receiver's ACK deadline or read tick; delivers what is
/// due; fires the sender's timer; and lets both endpoints send. Bounded by <see cref="HarnessOptions.MaxSteps"/> and
/// <see cref="HarnessOptions.TimeLimit"/>, so no run can hang; a run with nothing left to happen before completion is a
/// stall (a deadlock the result reports).
/// </summary>
internal static class HarnessSimulation
{
    private static readonly IPEndPoint SenderAddress = new(IPAddress.Parse("10.0.0.1"), 40000);
    private static readonly IPEndPoint ReceiverAddress = new(IPAddress.Parse("10.0.0.2"), 4433);

    public static HarnessResult Run(HarnessOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var network = new NetworkSimulator(options.Seed);
        network.SetLink(SenderAddress, ReceiverAddress, options.Forward);
        network.SetLink(ReceiverAddress, SenderAddress, options.Reverse);

        var sender = new HarnessSender(options, network, SenderAddress, ReceiverAddress);
        var receiver = new HarnessReceiver(options, network, ReceiverAddress, SenderAddress, () => sender.Recovery.Rtt.SmoothedRtt);
        bool finite = options.TransferBytes is not null;
        var limit = Instant.Zero + options.TimeLimit;
        var samples = new List<HarnessSample>();
        var sampleInterval = options.SampleInterval;
        var nextSample = Instant.Zero;

        var now = Instant.Zero;
        long steps = 0, violations = 0;
        bool completed = false, stalled = false, timeLimit = false, stepLimit = false;
        sender.Poll(now);
        receiver.Poll(now);
        while (true)
        {
            if (finite && receiver.FinishedAt is not null && sender.Stream.IsAllAcknowledged)
            {
                completed = true;
                break;
            }
            var next = Min(Min(network.NextDeliveryTime, sender.NextTimer), receiver.NextTimer);
            if (next is not { } t)
            {
                stalled = true;
                break;
            }
            if (t > limit)
            {
                timeLimit = true;
                now = limit;
                break;
            }
            if (++steps > options.MaxSteps)
            {
                stepLimit = true;
                break;
            }
            if (t > now) now = t;

            while (network.TryReceive(now, out var d))
            {
                if (d.Destination.Equals(ReceiverAddress)) receiver.OnDatagram(now, d.Payload.Span);
                else sender.OnDatagram(now, d.Payload.Span);
            }
            sender.OnTimer(now);
            sender.Poll(now);
            receiver.Poll(now);

            if (options.InvariantCheckInterval > 0 && steps % options.InvariantCheckInterval == 0
                && (sender.Recovery.BytesInFlight != sender.SumOfOutstandingInFlight()
                    || sender.Controller.CongestionWindow < sender.Controller.ControllerMinimumWindow))
                violations++;

            if (sampleInterval > TimeSpan.Zero && now >= nextSample)
            {
                samples.Add(new HarnessSample(
                    now - Instant.Zero, sender.Controller.CongestionWindow, sender.Recovery.BytesInFlight,
                    sender.Recovery.Rtt.SmoothedRtt, sender.Controller.LatestDeliveryRate, sender.Controller.PacingRate,
                    receiver.Delivered));
                nextSample = now + sampleInterval;
            }
        }

        var delays = receiver.QueueingDelaysMs;
        double mean = 0, p95 = 0;
        if (delays.Count > 0)
        {
            double sum = 0;
            foreach (float v in delays) sum += v;
            mean = sum / delays.Count;
            var sorted = delays.ToArray();
            Array.Sort(sorted);
            p95 = sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(0.95 * sorted.Length) - 1)];
        }

        var duration = now - Instant.Zero;
        return new HarnessResult
        {
            Options = options,
            Completed = completed,
            Stalled = stalled,
            TimeLimitReached = timeLimit,
            StepLimitReached = stepLimit,
            Steps = steps,
            InvariantViolations = violations,
            Duration = duration,
            GoodputInterval = finite && receiver.FinishedAt is { } f ? f - Instant.Zero : duration,
            DeliveredBytes = receiver.Delivered,
            FinDelivered = receiver.Stream.IsFinished,
            PatternErrors = receiver.PatternErrors,
            FirstPatternErrorOffset = receiver.FirstPatternErrorOffset,
            StreamError = receiver.StreamError.ToString(),
            PacketsSent = sender.PacketsSent,
            DataPacketsSent = sender.DataPacketsSent,
            BlockedPacketsSent = sender.BlockedPacketsSent,
            ProbePacketsSent = sender.ProbePacketsSent,
            ProbeTimeouts = sender.ProbeTimeouts,
            PayloadBytesSent = sender.PayloadBytesSent,
            RetransmittedBytes = sender.RetransmittedBytes,
            LostPackets = sender.Recovery.LostPacketCount,
            SpuriousLosses = sender.Recovery.SpuriousLossCount,
            PersistentCongestionEvents = sender.PersistentCongestionEvents,
            AcksSent = receiver.AcksSent,
            AcksReceived = sender.AcksReceived,
            RejectedAcks = sender.RejectedAcks,
            MalformedPackets = sender.MalformedPackets + receiver.MalformedPackets,
            DuplicatePacketsReceived = receiver.DuplicatePackets,
            WindowUpdatesSent = receiver.WindowUpdatesSent,
            FinalReceiveWindow = receiver.Window.Window,
            FinalBytesInFlight = sender.Recovery.BytesInFlight,
            FinalOutstandingInFlightSum = sender.SumOfOutstandingInFlight(),
            MinimumObservedWindow = sender.Controller.MinimumObservedWindow,
            ControllerMinimumWindow = sender.Controller.ControllerMinimumWindow,
            CongestionEvents = sender.Controller.CongestionEvents,
            MeanQueueingDelayMs = mean,
            P95QueueingDelayMs = p95,
            ForwardLink = network.GetStatistics(SenderAddress, ReceiverAddress),
            ReverseLink = network.GetStatistics(ReceiverAddress, SenderAddress),
            Samples = samples,
        };
    }

    private static Instant? Min(Instant? a, Instant? b) =>
        a is not { } x ? b : b is not { } y ? a : (x < y ? x : y);
}
