namespace Transport.Core.Simulation;

/// <summary>
/// The Gilbert-Elliott two-state burst-loss model: a Markov chain with a good and a bad state, stepped once per datagram.
/// Each datagram is lost with the loss probability of the current state, then the chain moves:
/// good to bad with probability <see cref="GoodToBad"/> (p), bad to good with probability <see cref="BadToGood"/> (r).
/// With the defaults (no loss in the good state, certain loss in the bad state) losses come in bursts whose mean length
/// is 1/r, and the mean loss rate is p/(p+r).
/// </summary>
public sealed record GilbertElliottModel
{
    /// <summary>Creates a model with transition probabilities p (good to bad) and r (bad to good).</summary>
    /// <param name="goodToBad">p: probability, per datagram, of moving from the good to the bad state.</param>
    /// <param name="badToGood">r: probability, per datagram, of moving from the bad to the good state.</param>
    /// <param name="lossInBad">Probability that a datagram is lost in the bad state (1 - h in the literature); default 1.</param>
    /// <param name="lossInGood">Probability that a datagram is lost in the good state (1 - k in the literature); default 0.</param>
    public GilbertElliottModel(double goodToBad, double badToGood, double lossInBad = 1.0, double lossInGood = 0.0)
    {
        GoodToBad = goodToBad;
        BadToGood = badToGood;
        LossInBad = lossInBad;
        LossInGood = lossInGood;
    }

    /// <summary>p: probability, per datagram, of moving from the good to the bad state.</summary>
    public double GoodToBad { get; init; }

    /// <summary>r: probability, per datagram, of moving from the bad to the good state.</summary>
    public double BadToGood { get; init; }

    /// <summary>Probability that a datagram is lost while the chain is in the bad state.</summary>
    public double LossInBad { get; init; }

    /// <summary>Probability that a datagram is lost while the chain is in the good state.</summary>
    public double LossInGood { get; init; }

    /// <summary>The fraction of datagrams sent in the bad state in the long run: p/(p+r) (0 when both are 0).</summary>
    public double StationaryBadProbability => GoodToBad + BadToGood == 0 ? 0 : GoodToBad / (GoodToBad + BadToGood);

    /// <summary>The long-run loss rate: π_bad·LossInBad + π_good·LossInGood.</summary>
    public double MeanLossRate => StationaryBadProbability * LossInBad + (1 - StationaryBadProbability) * LossInGood;

    /// <summary>The mean number of consecutive datagrams sent in the bad state: 1/r (infinite when r is 0).</summary>
    public double MeanBadStateLength => BadToGood == 0 ? double.PositiveInfinity : 1 / BadToGood;

    internal void Validate(string paramName)
    {
        LinkConditions.CheckProbability(GoodToBad, paramName, "GilbertElliott.GoodToBad");
        LinkConditions.CheckProbability(BadToGood, paramName, "GilbertElliott.BadToGood");
        LinkConditions.CheckProbability(LossInBad, paramName, "GilbertElliott.LossInBad");
        LinkConditions.CheckProbability(LossInGood, paramName, "GilbertElliott.LossInGood");
    }
}
