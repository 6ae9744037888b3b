using System.Threading.Tasks.Sources;

namespace Transport.Quic.Tests.Api;

public class StreamSignalTests
{
    [Fact]
    public async Task Set_CompletesTheArmedWait_AndASetWithoutAWaiterIsNotRemembered()
    {
        var signal = new StreamSignal();
        signal.Set(); // nobody waits: nothing happens, and the next wait is not completed by it
        var wait = signal.Arm("read");
        Assert.False(wait.IsCompleted);
        signal.Set();
        await wait.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        signal.Set(); // the wait was completed: a second Set does nothing
    }

    [Fact]
    public async Task TheSignal_IsReused_ForManyWaits()
    {
        var signal = new StreamSignal();
        for (int i = 0; i < 100; i++)
        {
            var wait = signal.Arm("read");
            Assert.False(wait.IsCompleted);
            signal.Set();
            await wait;
        }
    }

    [Fact]
    public async Task Cancellation_FailsTheWait_AndALaterSetDoesNotDisturbTheNextWait()
    {
        var signal = new StreamSignal();
        using var cts = new CancellationTokenSource();
        var wait = signal.Arm("read");
        using (signal.RegisterCancellation(cts.Token))
        {
            cts.Cancel();
            var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await wait);
            Assert.Equal(cts.Token, e.CancellationToken);
        }
        signal.Set(); // late: for the cancelled wait, which is already over
        var next = signal.Arm("read");
        Assert.False(next.IsCompleted);
        signal.Set();
        await next.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task AnAlreadyCancelledToken_FailsTheWaitAtOnce()
    {
        var signal = new StreamSignal();
        var wait = signal.Arm("write");
        using (signal.RegisterCancellation(new CancellationToken(canceled: true)))
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await wait);
    }

    [Fact]
    public void ASecondWait_WhileTheFirstIsOutstanding_Throws()
    {
        var signal = new StreamSignal();
        _ = signal.Arm("read");
        var e = Assert.Throws<InvalidOperationException>(() => signal.Arm("read"));
        Assert.Contains("read", e.Message);
    }

    [Fact]
    public async Task SetRacingCancellation_CompletesTheWaitExactlyOnce()
    {
        var signal = new StreamSignal();
        for (int i = 0; i < 200; i++)
        {
            using var cts = new CancellationTokenSource();
            var wait = signal.Arm("read");
            using (signal.RegisterCancellation(cts.Token))
            {
                var cancel = Task.Run(cts.Cancel);
                signal.Set();
                await cancel.WaitAsync(TimeSpan.FromSeconds(10));
                Assert.True(wait.IsCompleted);
                try
                {
                    await wait;
                }
                catch (OperationCanceledException)
                {
                }
            }
        }
    }
}
