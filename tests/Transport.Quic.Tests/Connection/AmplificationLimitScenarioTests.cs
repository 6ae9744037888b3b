using Transport.Core.Simulation;
using Transport.Core.Time;

namespace Transport.Quic.Tests.Connection;

/// <summary>
/// The interop runner's amplificationlimit scenario (droplist drops_to_server=2..7) in virtual time: a server whose
/// certificate flight does not fit in three times the client's first datagram (RFC 9000 §8.1) sends what it may at once,
/// then stays silent (no probe while blocked: RFC 9002 §6.2.2.1) until a client datagram gets through, and answers that
/// datagram at once.
/// </summary>
public class AmplificationLimitScenarioTests
{
    [Fact]
    public void A_blocked_server_sends_its_budget_at_once_then_waits_and_answers_the_next_datagram_that_arrives()
    {
        // 15 ms each way, like the runner's default link.
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(bigFlight: true),
            new LinkConditions { Delay = TimeSpan.FromMilliseconds(15) });
        int clientDatagrams = 0;
        pair.Drop = (fromClient, _) => fromClient && ++clientDatagrams is >= 2 and <= 7;
        var serverSends = new List<(Instant At, int Length)>();
        pair.OnTransmit = (fromClient, _, length) => { if (!fromClient) serverSends.Add((pair.Now, length)); };
        var arrivals = new List<(Instant At, int Length)>();
        pair.OnDeliver = (_, destination, length) => { if (destination.Equals(ConnectionPair.ServerAddress)) arrivals.Add((pair.Now, length)); };

        Assert.True(pair.CompleteHandshake());
        Assert.False(pair.AmplificationViolated);
        Assert.True(clientDatagrams >= 8, $"the client sent {clientDatagrams} datagrams");
        Assert.True(arrivals.Count >= 2, $"{arrivals.Count} client datagrams arrived");
        (Instant first, int firstLength) = arrivals[0];
        Instant second = arrivals[1].At;

        // The first flight: every server datagram before the second client datagram arrived left at the instant the
        // first one arrived (no pacing delay, no probe while blocked) ...
        var flight = serverSends.Where(s => s.At < second).ToList();
        Assert.NotEmpty(flight);
        Assert.All(flight, s => Assert.Equal(first, s.At));
        // ... and used the budget: less than one more full datagram was left of 3x (RFC 9000 §8.1, §14.1).
        int spent = flight.Sum(s => s.Length);
        Assert.InRange(spent, 3 * firstLength - 1200 + 1, 3 * firstLength);

        // The next client datagram that got through unblocked the server, which answered it at once.
        Assert.Contains(serverSends, s => s.At == second);
    }
}
