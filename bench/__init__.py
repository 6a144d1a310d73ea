"""Benchmarks in stack mode (PostgreSQL + RabbitMQ), each against a baseline measured in the same run."""
