using Transport.Quic.Crypto;
using Transport.Tests.Shared;

namespace Transport.Quic.Tests.Crypto;

// DESIGN.md: per-packet paths allocate nothing. Counts bytes allocated on this thread, not time.
public class AllocationTests
{
    public static TheoryData<CipherSuite> Suites => new(PacketTestBuilder.Suites);

    [Theory]
    [MemberData(nameof(Suites))]
    public void Seal_and_open_allocate_nothing(CipherSuite suite)
    {
        byte[] secret = PacketTestBuilder.Secret(suite, 31);
        using var sender = PacketProtection.Create(suite, secret);
        using var receiver = PacketProtection.Create(suite, secret);
        using var oneRttSend = OneRttKeys.Create(suite, secret, secret);
        using var oneRttReceive = OneRttKeys.Create(suite, secret, secret);
        byte[] packet = PacketTestBuilder.Build(false, 2, new byte[1200 - 9 - 2 - 16], out int off);
        int headerLength = off + 2;

        long pn = 0;
        void Round()
        {
            sender.Seal(packet, headerLength, off, 2, pn);
            Assert.True(receiver.TryOpen(packet, off, pn - 1, out _, out _, out _));
            oneRttSend.Seal(packet, headerLength, off, 2, pn);
            Assert.True(oneRttReceive.TryOpen(packet, off, pn - 1, out _, out _, out _));
            pn++;
        }

        // Warm up (JIT tiers, lazy native state), then the fewest bytes allocated in any of several windows.
        long allocated = AllocationMeter.MinimumAllocatedPerAttempt(Round, warmupRounds: 1000, measuredRounds: 200);
        Assert.Equal(0, allocated);
    }
}
