# Vehicle registry: the owner of the vehicle in a report, shown only to the agency's executors.
registry-owner-heading = Владелец транспортного средства
registry-owner-name = Владелец
registry-owner-vehicle = Марка и модель
registry-owner-found = Владелец найден в реестре.
registry-owner-pending = Запрос в реестр транспортных средств ещё не выполнен: реестр недоступен или запрос стоит в очереди. Данные появятся здесь автоматически.
registry-owner-unknown = Реестр транспортных средств не знает этот номер.
registry-owner-failed = Реестр транспортных средств не ответил на все попытки запроса. Сообщите администратору.
registry-owner-notice = Персональные данные: видны только исполнителям ведомства, не передавайте их заявителю.
