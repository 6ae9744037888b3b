using Transport.Reliable.Congestion;

namespace Transport.Reliable.Tests.Congestion;

public class FactoryTests
{
    [Theory]
    [InlineData(CongestionControlAlgorithm.NewReno, typeof(NewReno), "newreno")]
    [InlineData(CongestionControlAlgorithm.Cubic, typeof(Cubic), "cubic")]
    [InlineData(CongestionControlAlgorithm.Bbr, typeof(Bbr), "bbr")]
    public void Built_in_factories_make_their_algorithm(CongestionControlAlgorithm algorithm, Type type, string name)
    {
        ICongestionController cc = CongestionControllerFactory.For(algorithm).Create(1350);
        Assert.IsType(type, cc);
        Assert.Equal(name, cc.Name);
        Assert.Equal(13500, cc.CongestionWindow);
        Assert.Same(CongestionControllerFactory.For(algorithm), CongestionControllerFactory.For(algorithm));
    }

    [Fact]
    public void Unknown_algorithm_throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CongestionControllerFactory.For((CongestionControlAlgorithm)42));
    }
}
