using Transport.Core.Simulation;
using Transport.Reliable.Congestion;
using Xunit.Abstractions;

namespace Transport.Reliable.Tests.Harness;

public class HarnessSmokeTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(CongestionControlAlgorithm.NewReno)]
    [InlineData(CongestionControlAlgorithm.Cubic)]
    [InlineData(CongestionControlAlgorithm.Bbr)]
    public void Smoke(CongestionControlAlgorithm algorithm)
    {
        foreach (double loss in new[] { 0.0, 0.05 })
        {
            var r = HarnessSimulation.Run(new HarnessOptions
            {
                Algorithm = algorithm,
                TransferBytes = 2_000_000,
                Forward = new LinkConditions { Delay = TimeSpan.FromMilliseconds(25), BandwidthBitsPerSecond = 100_000_000, QueueCapacityPackets = 520, LossRate = loss, ReorderRate = loss, ReorderDelay = TimeSpan.FromMilliseconds(3), DuplicateRate = loss },
                Reverse = new LinkConditions { Delay = TimeSpan.FromMilliseconds(25), LossRate = loss },
            });
            output.WriteLine(r.ToString());
        }
    }
}
