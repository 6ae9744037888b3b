using FsCheck;
using FsCheck.Fluent;
using Transport.Core.Time;
using Transport.Reliable.Congestion;

namespace Transport.Reliable.Tests.Congestion;

/// <summary>Invariants of every controller under generated event sequences (FsCheck).</summary>
public class ControllerProperties
{
    private static readonly Config Config = Config.QuickThrowOnFailure.WithMaxTest(300);

    private static ICongestionController Make(int which) => which switch
    {
        0 => new NewReno(1200),
        1 => new Cubic(1200),
        _ => new Bbr(1200),
    };

    private static long MinimumWindow(ICongestionController cc) => cc switch
    {
        NewReno r => r.MinimumWindow,
        Cubic c => c.MinimumWindow,
        Bbr b => b.MinimumWindow,
        _ => throw new InvalidOperationException(),
    };

    private static double BetaOf(ICongestionController cc) => cc is NewReno ? NewReno.LossReductionFactor : Cubic.Beta;

    /// <summary>What one generated operation did to the window.</summary>
    private enum Op { Send, Ack, AppLimitedAck, Loss, Ecn, Persistent, Spurious, Mtu, Advance }

    /// <summary>
    /// Replays generated operations and calls <paramref name="check"/> after each with the operation, the window before,
    /// and the congestion event if there was one.
    /// </summary>
    private static void Replay(ICongestionController cc, int[] ops, Action<ControllerHarness, Op, long, CongestionEvent> check)
    {
        var h = new ControllerHarness(cc);
        foreach (int v in ops)
        {
            int kind = v % 20, arg = v / 20; // arg in 0..49
            long before = cc.CongestionWindow;
            Op op;
            CongestionEvent ev = default;
            switch (kind)
            {
                case < 6:
                    op = Op.Send;
                    for (int i = 0; i <= arg % 8; i++)
                        if (h.BytesInFlight + h.MaxDatagramSize <= cc.CongestionWindow || i == 0) h.Send();
                    break;
                case < 10:
                    op = Op.Ack;
                    h.Rtt = TimeSpan.FromMilliseconds(20 + arg);
                    h.Ack(1 + arg % 6);
                    break;
                case < 12:
                    op = Op.AppLimitedAck;
                    h.Ack(1 + arg % 6, appLimited: true);
                    break;
                case < 14:
                    op = Op.Loss;
                    if (h.Outstanding == 0) goto default;
                    ev = h.Lose(1 + arg % 3);
                    break;
                case 14:
                    op = Op.Ecn;
                    ev = h.Ecn();
                    break;
                case 15:
                    if (arg < 10 && h.Outstanding > 0) { op = Op.Persistent; ev = h.Lose(h.Outstanding, persistent: true); }
                    else { op = Op.Spurious; h.Spurious(); }
                    break;
                case 16 when arg < 5:
                    op = Op.Mtu;
                    h.ChangeMtu(1200 + 100 * arg);
                    break;
                default:
                    op = Op.Advance;
                    h.Advance(TimeSpan.FromMilliseconds(1 + arg * 3));
                    break;
            }
            check(h, op, before, ev);
        }
    }

    private static Arbitrary<int[]> Ops => Gen.Choose(0, 999).ArrayOf().ToArbitrary();

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Window_never_falls_below_the_minimum(int which)
    {
        Check.One(Config, Prop.ForAll(Ops, ops =>
        {
            var cc = Make(which);
            Replay(cc, ops, (_, op, _, _) =>
            {
                if (cc.CongestionWindow < MinimumWindow(cc))
                    throw new Exception($"{cc.Name}: cwnd {cc.CongestionWindow} < minimum {MinimumWindow(cc)} after {op}");
                if (cc.PacingRate < 0 || double.IsNaN(cc.PacingRate)) throw new Exception($"pacing rate {cc.PacingRate}");
            });
        }));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Window_does_not_grow_on_application_limited_acks(int which)
    {
        Check.One(Config, Prop.ForAll(Ops, ops =>
        {
            var cc = Make(which);
            Replay(cc, ops, (_, op, before, _) =>
            {
                if (op == Op.AppLimitedAck && cc.CongestionWindow > before)
                    throw new Exception($"{cc.Name}: cwnd grew {before} -> {cc.CongestionWindow} on an application-limited ACK");
            });
        }));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void One_reduction_per_recovery_period_by_beta_but_not_below_the_minimum_and_undo_restores(int which)
    {
        Check.One(Config, Prop.ForAll(Ops, ops =>
        {
            var cc = Make(which);
            Instant? recoveryStart = null;
            long? undoTarget = null; // the window before the last reduction, until undone or collapsed
            int reductions = 0;
            Replay(cc, ops, (h, op, before, ev) =>
            {
                switch (op)
                {
                    case Op.Spurious:
                    case Op.Persistent:
                        if (op == Op.Spurious && undoTarget is { } target && cc.CongestionWindow < target)
                            throw new Exception($"{cc.Name}: undo left cwnd {cc.CongestionWindow} below {target}");
                        undoTarget = null;
                        recoveryStart = null;
                        if (op == Op.Persistent && cc.CongestionWindow != MinimumWindow(cc))
                            throw new Exception($"{cc.Name}: persistent congestion left cwnd {cc.CongestionWindow}");
                        break;
                    case Op.Loss:
                    case Op.Ecn:
                        if (recoveryStart is { } start && ev.LargestSentTime <= start)
                        {
                            if (cc.CongestionWindow != before)
                                throw new Exception($"{cc.Name}: second reduction {before} -> {cc.CongestionWindow} in one recovery period");
                        }
                        else
                        {
                            long expected = Math.Max((long)(before * BetaOf(cc)), MinimumWindow(cc));
                            if (Math.Abs(cc.CongestionWindow - expected) > 1)
                                throw new Exception($"{cc.Name}: {before} -> {cc.CongestionWindow}, expected {expected}");
                            if (cc.State != CongestionState.Recovery) throw new Exception("not in recovery after a reduction");
                            recoveryStart = h.Now;
                            undoTarget = before;
                            reductions++;
                        }
                        break;
                }
            });
        }));
    }

    [Fact]
    public void Cubic_window_follows_the_rfc_9438_formula_in_congestion_avoidance()
    {
        var setup = Gen.Choose(0, 9999).ToArbitrary();
        var acks = Gen.Choose(0, 200 * 12 - 1).ArrayOf().ToArbitrary();
        Check.One(Config, Prop.ForAll(setup, acks, (s, series) =>
        {
            int rttMs = 10 + s % 190;
            int ssRounds = 2 + s / 190 % 4;
            var h = new ControllerHarness(new Cubic(1200)) { Rtt = TimeSpan.FromMilliseconds(rttMs) };
            var cc = (Cubic)h.Cc;
            h.RunRounds(ssRounds);
            double wBefore = cc.CongestionWindow / 1200.0; // segments
            h.Send();
            h.Advance(h.Rtt);
            h.Lose(1);
            h.Advance(TimeSpan.FromMilliseconds(1));

            // Reference state, straight from RFC 9438 §4, in segments.
            const double C = 0.4, beta = 0.7;
            double alphaCubic = 3 * (1 - beta) / (1 + beta);
            double wMax = wBefore, cwndPrior = wBefore;
            double cwnd = Math.Max((long)(wBefore * 1200 * beta), 2400) / 1200.0;
            double rtt = rttMs / 1000.0;
            double? epochStart = null;
            double k = 0, wEst = 0;
            Assert.Equal(cwnd * 1200, cc.CongestionWindow, 1.0);

            foreach (int v in series)
            {
                int dtMs = 1 + v % 200, segs = 1 + v / 200;
                for (int i = 0; i < segs; i++) h.Send();
                h.Advance(TimeSpan.FromMilliseconds(dtMs));
                h.Ack(segs);

                double now = h.Now.SinceZero.TotalSeconds;
                if (epochStart is null)
                {
                    epochStart = now;
                    if (wMax < cwnd) wMax = cwnd;
                    k = Math.Cbrt((wMax - cwnd) / C);
                    wEst = cwnd;
                }
                double t = now - epochStart.Value;
                double W(double x) => C * Math.Pow(x - k, 3) + wMax;
                double target = Math.Min(Math.Max(W(t + rtt), cwnd), 1.5 * cwnd);
                wEst += (wEst >= cwndPrior ? 1 : alphaCubic) * segs / cwnd;
                if (W(t) < wEst) cwnd = Math.Max(cwnd, wEst);
                else cwnd += (target - cwnd) / cwnd * segs;

                double expectedBytes = cwnd * 1200;
                if (Math.Abs(cc.CongestionWindow - expectedBytes) > 1 + expectedBytes * 1e-9)
                    throw new Exception($"t={t:F3}s cwnd {cc.CongestionWindow} vs reference {expectedBytes:F1} (K={k:F3}, W_max={wMax:F1})");
                if (cc.State != CongestionState.CongestionAvoidance) throw new Exception($"state {cc.State}");
            }
        }));
    }
}
