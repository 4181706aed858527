"""REINFORCE and actor-critic as in pytorch/examples/reinforcement_learning, on a cart-pole
written here.

A policy MLP gives action probabilities, ``Categorical`` samples actions and scores their
log-probabilities, and each episode's discounted returns are normalised with float32's eps.
``--numpy-sampling`` takes the action by inverting the CDF at a NumPy uniform, so every
framework follows the same episodes (``Categorical.sample`` is still drawn and checked).
"""
# written as PyTorch's examples are, so some of its habits stay
# ruff: noqa: B007, E501
import argparse
import math
from collections import deque, namedtuple

import _compat_dump
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.distributions import Categorical


class CartPole:
    """Cart-pole balancing: push left or right, reward 1 per step while the pole stays up."""

    gravity, masscart, masspole, length, force_mag, tau = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02

    def __init__(self, max_steps=200):
        self.max_steps = max_steps
        self.rng = np.random.RandomState(0)

    def reset(self, seed=None):
        if seed is not None:
            self.rng = np.random.RandomState(seed)
        self.state = self.rng.uniform(-0.05, 0.05, 4)
        self.t = 0
        return self.state.copy(), {}

    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        force = self.force_mag if action == 1 else -self.force_mag
        total = self.masspole + self.masscart
        pml = self.masspole * self.length
        temp = (force + pml * theta_dot ** 2 * math.sin(theta)) / total
        thetaacc = (self.gravity * math.sin(theta) - math.cos(theta) * temp) / (
            self.length * (4.0 / 3.0 - self.masspole * math.cos(theta) ** 2 / total))
        xacc = temp - pml * thetaacc * math.cos(theta) / total
        x, x_dot = x + self.tau * x_dot, x_dot + self.tau * xacc
        theta, theta_dot = theta + self.tau * theta_dot, theta_dot + self.tau * thetaacc
        self.state = np.array([x, x_dot, theta, theta_dot])
        self.t += 1
        terminated = abs(x) > 2.4 or abs(theta) > 12 * 2 * math.pi / 360
        truncated = self.t >= self.max_steps
        return self.state.copy(), 1.0, terminated, truncated, {}


class Policy(nn.Module):
    def __init__(self):
        super().__init__()
        self.affine1 = nn.Linear(4, 128)
        self.dropout = nn.Dropout(p=0.6)
        self.affine2 = nn.Linear(128, 2)

        self.saved_log_probs = []
        self.rewards = []

    def forward(self, x):
        x = self.affine1(x)
        x = self.dropout(x)
        x = F.relu(x)
        action_scores = self.affine2(x)
        return F.softmax(action_scores, dim=1)


SavedAction = namedtuple('SavedAction', ['log_prob', 'value'])


class ActorCritic(nn.Module):
    """implements both actor and critic in one model (reinforcement_learning/actor_critic.py)"""

    def __init__(self):
        super().__init__()
        self.affine1 = nn.Linear(4, 128)
        self.action_head = nn.Linear(128, 2)
        self.value_head = nn.Linear(128, 1)
        self.saved_actions = []
        self.rewards = []

    def forward(self, x):
        x = F.relu(self.affine1(x))
        action_prob = F.softmax(self.action_head(x), dim=-1)
        state_values = self.value_head(x)
        return action_prob, state_values


parser = argparse.ArgumentParser()
parser.add_argument("--data-root", default=".")
parser.add_argument("--gamma", type=float, default=0.99, metavar="G")
parser.add_argument("--seed", type=int, default=543, metavar="N")
parser.add_argument("--episodes", type=int, default=5)
parser.add_argument("--max-steps", type=int, default=60)
parser.add_argument("--numpy-sampling", action="store_true")
_compat_dump.add_args(parser)
args = parser.parse_args()

env = CartPole(args.max_steps)
torch.manual_seed(args.seed)
policy = Policy()
critic_model = ActorCritic()
models = nn.ModuleDict({"policy": policy, "actor_critic": critic_model})
_compat_dump.init_model(models, args)
optimizer = optim.Adam(policy.parameters(), lr=1e-2)
ac_optimizer = optim.Adam(critic_model.parameters(), lr=3e-2)
eps = np.finfo(np.float32).eps.item()
action_rng = np.random.RandomState(args.seed)
entropies = []


def select_action(state):
    state = torch.from_numpy(state).float().unsqueeze(0)
    probs = policy(state)
    m = Categorical(probs)
    action = m.sample()
    assert action.shape == (1,) and action.dtype == torch.int64 and 0 <= action.item() < 2
    if args.numpy_sampling:
        u = action_rng.uniform()
        action = (probs.detach().cumsum(1) < u).sum(1).clamp(max=1)
    policy.saved_log_probs.append(m.log_prob(action))
    entropies.append(m.entropy().item())
    return action.item()


def finish_episode():
    R = 0
    policy_loss = []
    returns = deque()
    for r in policy.rewards[::-1]:
        R = r + args.gamma * R
        returns.appendleft(R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps)
    for log_prob, R in zip(policy.saved_log_probs, returns):
        policy_loss.append(-log_prob * R)
    optimizer.zero_grad()
    policy_loss = torch.cat(policy_loss).sum()
    policy_loss.backward()
    optimizer.step()
    del policy.rewards[:]
    del policy.saved_log_probs[:]
    return policy_loss.item()


running_reward = 10
ep_rewards, running, policy_losses = [], [], []
for i_episode in range(1, args.episodes + 1):
    state, _ = env.reset(seed=args.seed + i_episode)
    ep_reward = 0
    for t in range(1, 10000):  # Don't infinite loop while learning
        action = select_action(state)
        state, reward, terminated, truncated, _ = env.step(action)
        policy.rewards.append(reward)
        ep_reward += reward
        if terminated or truncated:
            break

    running_reward = 0.05 * ep_reward + (1 - 0.05) * running_reward
    policy_losses.append(finish_episode())
    ep_rewards.append(ep_reward)
    running.append(running_reward)
    print(f"Episode {i_episode}\tLast reward: {ep_reward:.2f}\tAverage reward: {running_reward:.2f}")


def ac_select_action(state):
    state = torch.from_numpy(state).float()
    probs, state_value = critic_model(state)
    m = Categorical(probs)
    action = m.sample()
    assert action.shape == () and 0 <= action.item() < 2
    if args.numpy_sampling:
        action = (probs.detach().cumsum(0) < action_rng.uniform()).sum().clamp(max=1)
    critic_model.saved_actions.append(SavedAction(m.log_prob(action), state_value))
    return action.item()


def ac_finish_episode():
    R = 0
    saved_actions = critic_model.saved_actions
    policy_losses = []  # list to save actor (policy) loss
    value_losses = []  # list to save critic (value) loss
    returns = []  # list to save the true values
    for r in critic_model.rewards[::-1]:
        R = r + args.gamma * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps)
    for (log_prob, value), R in zip(saved_actions, returns):
        advantage = R - value.item()
        policy_losses.append(-log_prob * advantage)
        value_losses.append(F.smooth_l1_loss(value, torch.tensor([R])))
    ac_optimizer.zero_grad()
    loss = torch.stack(policy_losses).sum() + torch.stack(value_losses).sum()
    loss.backward()
    ac_optimizer.step()
    del critic_model.rewards[:]
    del critic_model.saved_actions[:]
    return loss.item()


ac_rewards, ac_losses = [], []
for i_episode in range(1, args.episodes + 1):
    state, _ = env.reset(seed=args.seed + 100 + i_episode)
    ep_reward = 0
    for t in range(1, 10000):
        action = ac_select_action(state)
        state, reward, terminated, truncated, _ = env.step(action)
        critic_model.rewards.append(reward)
        ep_reward += reward
        if terminated or truncated:
            break
    ac_losses.append(ac_finish_episode())
    ac_rewards.append(ep_reward)
    print(f"Actor-critic episode {i_episode}\tLast reward: {ep_reward:.2f}\tloss {ac_losses[-1]:.4f}")
_compat_dump.dump(args, models, rewards=ep_rewards, running=running, policy_losses=policy_losses,
                  entropy=[sum(entropies)], eps=[eps], ac_rewards=ac_rewards, ac_losses=ac_losses)
