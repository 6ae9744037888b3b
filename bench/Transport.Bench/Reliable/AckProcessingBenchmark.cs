using BenchmarkDotNet.Attributes;
using Transport.Core.Time;
using Transport.Reliable;
using Transport.Reliable.Ack;
using Transport.Reliable.Congestion;
using Transport.Reliable.Recovery;

namespace Transport.Bench.Reliable;

/// <summary>
/// RFC 9002 ACK processing in <see cref="LossDetector"/>: one ACK frame acknowledging 64 packets in 4 ranges of 16,
/// separated by single-packet gaps (3 packets declared lost by the packet threshold), with an RTT sample, a delivery-rate
/// sample and the controller's OnAck / OnCongestionEvent. Each invocation also sends the 67 packets it acknowledges (the
/// state must advance); <see cref="Send67AckInOneRange"/> does the same sends with a single-range ACK and no loss, for
/// comparison. Figures are per acknowledged packet (OperationsPerInvoke = 64). Target: 0 bytes allocated.
/// </summary>
[MemoryDiagnoser]
public class AckProcessingBenchmark
{
    private const PacketNumberSpace App = PacketNumberSpace.ApplicationData;
    private const int RangeLength = 16;
    private const int Ranges = 4;
    private const int Acknowledged = RangeLength * Ranges;           // 64
    private const int SentPerRound = Acknowledged + Ranges - 1;     // 67

    private LossDetector _fourRanges = null!;
    private LossDetector _oneRange = null!;
    private readonly AckRange[] _ranges = new AckRange[Ranges];
    private readonly AckRange[] _single = new AckRange[1];
    private long _nextFour, _nextOne;
    private Instant _nowFour = Instant.FromMilliseconds(1), _nowOne = Instant.FromMilliseconds(1);

    [GlobalSetup]
    public void Setup()
    {
        _fourRanges = new LossDetector(new NullController(), isServer: true);
        _fourRanges.OnHandshakeConfirmed(Instant.Zero);
        _oneRange = new LossDetector(new NullController(), isServer: true);
        _oneRange.OnHandshakeConfirmed(Instant.Zero);
        // Grow every buffer to its steady-state size.
        for (int i = 0; i < 100; i++)
        {
            Send67AckIn4Ranges();
            Send67AckInOneRange();
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Acknowledged)]
    public int Send67AckIn4Ranges()
    {
        var d = _fourRanges;
        long first = _nextFour;
        for (int i = 0; i < SentPerRound; i++)
        {
            d.OnPacketSent(App, _nextFour++, _nowFour, 1200, isAckEliciting: true, isInFlight: true);
            _nowFour += TimeSpan.FromMicroseconds(100);
        }
        // Ranges largest first: [first+51..first+66], [first+34..first+49], [first+17..first+32], [first..first+15].
        for (int r = 0; r < Ranges; r++)
        {
            long smallest = first + (Ranges - 1 - r) * (RangeLength + 1);
            _ranges[r] = new AckRange(smallest, smallest + RangeLength - 1);
        }
        _nowFour += TimeSpan.FromMilliseconds(20);
        var outcome = d.OnAckReceived(App, _ranges, TimeSpan.FromMilliseconds(1), _nowFour);
        return outcome.NewlyAcknowledged.Length + outcome.Lost.Length;
    }

    [Benchmark(OperationsPerInvoke = Acknowledged)]
    public int Send67AckInOneRange()
    {
        var d = _oneRange;
        long first = _nextOne;
        for (int i = 0; i < SentPerRound; i++)
        {
            d.OnPacketSent(App, _nextOne++, _nowOne, 1200, isAckEliciting: true, isInFlight: true);
            _nowOne += TimeSpan.FromMicroseconds(100);
        }
        _single[0] = new AckRange(first, _nextOne - 1);
        _nowOne += TimeSpan.FromMilliseconds(20);
        var outcome = d.OnAckReceived(App, _single, TimeSpan.FromMilliseconds(1), _nowOne);
        return outcome.NewlyAcknowledged.Length;
    }

    /// <summary>A controller that does nothing, so the figures are the loss detector's own.</summary>
    private sealed class NullController : ICongestionController
    {
        public string Name => "null";
        public long CongestionWindow => long.MaxValue;
        public double PacingRate => 0;
        public CongestionState State => CongestionState.SlowStart;
        public void OnPacketSent(Instant now, int bytes, long bytesInFlight) { }
        public void OnAck(Instant now, in AckEvent ack) { }
        public void OnCongestionEvent(Instant now, in CongestionEvent congestion) { }
        public void OnSpuriousCongestionEvent(Instant now) { }
        public void OnMaxDatagramSizeChanged(int maxDatagramSize) { }
    }
}
