# Worked solutions to the exercises of the example notebooks, one per exercise cell.
#
# Each section is the whole cell, as it reads with the solution filled in; its header names the
# exercise (the cell's metadata "exercise") and the notebook. Try the exercise first: the check
# cell after it tells you OK or WRONG, and which node is off. The tests run every notebook with
# these filled in (tests/test_notebooks.py).

# %% [mul-backward] 04: the _backward of *
%%writefile -a {ENGINE}

    def __mul__(self, other):
        out = Value(self.data * other.data, (self, other), "*")
        def _backward():
            self.grad = other.data * out.grad
            other.grad = self.data * out.grad
        out._backward = _backward
        return out

# %% [tanh-backward] 04: the _backward of tanh
%%writefile -a {ENGINE}

    def tanh(self):
        x = self.data
        t = (math.exp(2*x) - 1) / (math.exp(2*x) + 1)
        out = Value(t, (self,), "tanh")
        def _backward():
            self.grad = (1 - t**2) * out.grad
        out._backward = _backward
        return out

# %% [build-topo] 04: the topological order, inside backward()
%%writefile -a {ENGINE}

    def backward(self):
        topo = []
        visited = set()
        def build_topo(v):
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build_topo(child)
                topo.append(v)
        build_topo(self)
        self.grad = 1.0
        for node in reversed(topo):
            node._backward()

# %% [predict-a-plus-a] 04: predict a.grad for b = a + a
predicted_a_grad = 2.0   # d(a + a)/da = 1 + 1

# %% [pow-backward] 05: the _backward of ** (a number power)
%%writefile -a {ENGINE}

    def __pow__(self, other):
        assert isinstance(other, (int, float)), "only supporting int/float powers for now"
        out = Value(self.data**other, (self,), f"**{other}")
        def _backward():
            self.grad += other * self.data**(other - 1) * out.grad
        out._backward = _backward
        return out

# %% [exp-backward] 05: the _backward of exp
%%writefile -a {ENGINE}

    def exp(self):
        x = self.data
        out = Value(math.exp(x), (self,), "exp")
        def _backward():
            self.grad += out.data * out.grad
        out._backward = _backward
        return out

# %% [predict-x2-w2] 03: predict x2.grad and w2.grad
predicted_x2_grad = 0.5   # w2 * (1 - o**2) = 1 * 0.5
predicted_w2_grad = 0.0   # x2 * (1 - o**2) = 0 * 0.5: x2 is 0, so w2 has no influence

# %% [predict-loss-direction] 07: which way will the loss move?
predicted_direction = "down"   # every parameter moves against its gradient

# %% [relu-backward] 08: the _backward of relu
def relu(self):
    out = Value(0.0 if self.data < 0 else self.data, (self,), "ReLU")
    def _backward():
        self.grad += (out.data > 0) * out.grad
    out._backward = _backward
    return out

Value.relu = relu   # a new method of your Value class

# %% [svm-loss] 08: the SVM loss with L2
def svm_loss_l2(scores, ys, params, alpha=1e-4):
    """The mean over samples of relu(1 - y * score), plus alpha * sum(p * p) over params."""
    losses = [(1 + -yi * si).relu() for yi, si in zip(ys, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = alpha * sum(p * p for p in params)
    return data_loss + reg_loss
